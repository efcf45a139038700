package fmnist

import (
	"strconv"
	"strings"
	"time"
)

// Event is something the trainer or the downloader reports. It is one of
// the types below; consumers switch on the concrete type.
type Event interface{ event() }

// Progress is reported after every training batch.
type Progress struct {
	Epoch        int     // 1-based
	Epochs       int     // total epochs of the run
	Batch        int     // 1-based, within the epoch
	Batches      int     // batches per epoch
	Loss         float64 // loss of this batch
	AvgLoss      float64 // running mean loss over the epoch so far
	Percent      float64 // 0..100 within the epoch
	ImagesPerSec float64 // training throughput over the epoch so far
}

// LossPointsPerEpoch is how many points of the loss curve an epoch yields
// (fewer only when it has fewer batches); the run's first batch adds one.
const LossPointsPerEpoch = 20

// BatchesPerLossPoint is N in "a point is the mean loss over the last N
// batches" for an epoch of batchesPerEpoch batches; 0 when unknown.
func BatchesPerLossPoint(batchesPerEpoch int) int {
	if batchesPerEpoch <= 0 {
		return 0
	}
	return (batchesPerEpoch + LossPointsPerEpoch - 1) / LossPointsPerEpoch
}

// LossPoint is one point of the loss curve; Epoch is fractional:
// (epoch-1) + batch/batches, so the first epoch spans (0, 1].
type LossPoint struct {
	Epoch float64
	Loss  float64
	LR    float64 // the learning rate of the point's last batch
}

// Level is the severity of a log entry.
type Level string

// Log levels, as shown (and colour-coded) in the log panel.
const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// LogEntry is one line of the log that users see.
type LogEntry struct {
	Time    time.Time
	Level   Level
	Message string
}

// EpochResult is reported after each epoch's evaluation on the test set.
type EpochResult struct {
	Epoch        int
	TestAccuracy float64 // 0..1
	TestLoss     float64
	TrainLoss    float64 // mean training loss of the epoch
	ImagesPerSec float64
	Seconds      float64 // training time of the epoch, without evaluation
	// The held-out validation images (fmnist.Config.Val), when there are any.
	ValImages   int
	ValAccuracy float64 // 0..1
	ValLoss     float64
	// Batches is the epoch's batches trained, fewer than its whole when the
	// time limit ended it early; 0 means all.
	Batches int
}

// Evaluating is reported when an epoch's last batch is done and the network
// is being measured on the test set, which takes a few seconds; the epoch's
// EpochResult follows.
type Evaluating struct {
	Epoch  int       // the epoch just trained
	Images int       // test images being evaluated
	Time   time.Time // when the evaluation began
}

// StatusChange is reported when the trainer or the downloader changes state.
type StatusChange struct {
	Status Status
	Reason string // why, for StatusFailed
}

// CheckpointSaved is reported after a checkpoint file is in place.
type CheckpointSaved struct {
	Path  string
	Epoch int // completed epochs (or the epoch stopped in)
	Batch int // batches done in that epoch when stopped; 0 at an epoch's end
}

// DownloadProgress is reported while the dataset downloads.
type DownloadProgress struct {
	File      string // file name, e.g. train-images-idx3-ubyte.gz
	FileDone  int64
	FileTotal int64 // -1 when unknown
	Done      int64 // all files
	Total     int64 // all files; -1 when unknown
}

// DatasetVerifying is reported when every byte of the dataset is in and the
// files are being checked (checksums, IDX format) and read, which takes a
// second or two after the download reaches 100%.
type DatasetVerifying struct{}

// DownloadRetry is reported when an attempt to fetch a file failed and the
// same mirror is tried again after a wait.
type DownloadRetry struct {
	File     string        // the file being fetched, e.g. train-images-idx3-ubyte.gz or SHA256SUMS
	Mirror   string        // the mirror's host (or folder)
	Problem  string        // what went wrong, in a few words: "no answer from example.org"
	Attempt  int           // the attempt that failed, from 1
	Attempts int           // how many attempts the mirror gets before the next one is tried
	Wait     time.Duration // until the next attempt
}

// Message is the retry as the log and the dataset panel say it:
// "No answer from example.org (try 2 of 5), retrying in 4 s".
func (r DownloadRetry) Message() string {
	secs := strconv.FormatFloat(r.Wait.Round(time.Millisecond).Seconds(), 'f', -1, 64)
	msg := r.Problem + " (try " + strconv.Itoa(r.Attempt) + " of " + strconv.Itoa(r.Attempts) + "), retrying in " + secs + " s"
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func (Progress) event()         {}
func (LossPoint) event()        {}
func (LogEntry) event()         {}
func (EpochResult) event()      {}
func (Evaluating) event()       {}
func (DatasetVerifying) event() {}
func (StatusChange) event()     {}
func (CheckpointSaved) event()  {}
func (DownloadProgress) event() {}
func (DownloadRetry) event()    {}

// EventSink receives events. Push must never block: the training loop calls
// it between batches.
type EventSink interface {
	Push(Event)
}

// LRChange is reported when the learning rate is changed while a run trains
// (from the next batch; a schedule continues scaled by Scale).
type LRChange struct {
	Epoch float64 // where on the loss curve: the batch it took effect at
	LR    float64
	Scale float64 // of the schedule from then on
}

func (LRChange) event() {}
