package app

import (
	"time"

	"github.com/fmnist/trainer/ml"
)

// DatasetState is what the dataset panel shows.
type DatasetState struct {
	Status   ml.Status // idle, downloading, ready or failed
	Reason   string    // why it failed
	Progress ml.DownloadProgress
	Train    int // images in the training set, once ready
	Test     int // images in the test set, once ready
}

// TrainingState is what the controls, the progress panel and the status line
// show. The zero value is an idle trainer with no run.
type TrainingState struct {
	Status     ml.Status
	Reason     string
	RunID      int64 // the current or last run; 0 when there is none
	Config     ml.Config
	Progress   ml.Progress // the latest batch
	Checkpoint Checkpoint  // the latest checkpoint of this run, if any
	StartedAt  time.Time
	// LastEpoch is the evaluation after the last finished epoch; its Epoch
	// is 0 before the first one.
	LastEpoch ml.EpochResult
}

// Checkpoint names a saved model.
type Checkpoint struct {
	Path  string
	Epoch int
	Batch int
}

// State is a consistent snapshot of everything a viewer sees besides the
// chart and the log, which come from the store.
type State struct {
	Dataset  DatasetState
	Training TrainingState
	HasModel bool // a checkpoint exists, so predictions can be made
}

// Running reports whether a training run is in progress.
func (s TrainingState) Running() bool {
	return s.Status == ml.StatusTraining || s.Status == ml.StatusStopping
}

// Busy reports whether a download or a training run is in progress.
func (s State) Busy() bool {
	return s.Training.Running() || s.Dataset.Status == ml.StatusDownloading
}

// Update is one batch of events, already persisted, with the state after
// them. The publisher turns it into Server-Sent Events.
type Update struct {
	RunID   int64      // the run the training events belong to
	Dataset []ml.Event // from the downloader
	Train   []ml.Event // from the trainer
	State   State
}

// Publisher receives every Update in order. Publish must not block for long:
// it runs on the path between the trainer and the store.
type Publisher interface {
	Publish(Update)
}
