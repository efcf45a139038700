package fmnist

import "time"

// DatasetState is where the dataset stands.
type DatasetState struct {
	Status   Status // idle, downloading, ready or failed
	Reason   string // why it failed, or why an idle download stopped (cancelled)
	Progress DownloadProgress
	Train    int // images in the training set, once ready
	Test     int // images in the test set, once ready
	// Retry is the latest retry of the download in progress; nil once the
	// mirror answers again and when not downloading.
	Retry *DownloadRetry
	// Verifying is set while downloading once every byte is in: the files
	// are being checked and read.
	Verifying bool
}

// TrainingState is where the current (or last) run stands. The zero value
// is an idle trainer with no run.
type TrainingState struct {
	Status     Status
	Reason     string
	RunID      int64 // the current or last run; 0 when there is none
	Config     Config
	Progress   Progress   // the latest batch
	Checkpoint Checkpoint // the latest checkpoint of this run; Path is "" if none
	StartedAt  time.Time
	// Since is when this stretch of training began: the start, or the
	// latest resume; the page counts the elapsed time from it.
	Since time.Time
	// Evaluating is the evaluation in progress after an epoch's last
	// batch; its Epoch is 0 at any other time.
	Evaluating Evaluating
	// EvalSeconds is how long the latest evaluation of this run took; 0
	// before the first one.
	EvalSeconds float64
	// LastEpoch is the evaluation after the last finished epoch; its Epoch
	// is 0 before the first one.
	LastEpoch EpochResult
}

// Running reports whether a training run is in progress.
func (s TrainingState) Running() bool {
	return s.Status == StatusTraining || s.Status == StatusStopping
}

// State is a consistent snapshot of everything a viewer sees besides the
// chart and the log, which come from the store.
type State struct {
	Dataset  DatasetState
	Training TrainingState
	HasModel bool // a checkpoint exists, so predictions can be made
	// System is the latest reading of the process during training; its
	// Time is zero before the first.
	System SystemSample
}

// Busy reports whether a download or a training run is in progress.
func (s State) Busy() bool {
	return s.Training.Running() || s.Dataset.Status == StatusDownloading
}

// Update is one batch of events, already stored, with the state after them.
// (While the store refuses writes, events wait in the service instead,
// whose reads include them, and are stored once it takes them.)
type Update struct {
	RunID   int64   // the run the training events belong to
	Dataset []Event // from the downloader
	Train   []Event // from the trainer
	State   State
}

// Publisher receives every Update in order: the live stream. Publish must
// not block for long; it runs on the path from the trainer to the store.
type Publisher interface {
	Publish(Update)
}
