package fmnist

import "strings"

// Status is the state of the dataset or of a training run as a user sees it.
// The zero value reads as StatusIdle.
type Status string

// The statuses, in the order a run usually passes through them.
const (
	StatusIdle        Status = "idle"
	StatusDownloading Status = "downloading"
	StatusReady       Status = "ready"
	StatusTraining    Status = "training"
	StatusStopping    Status = "stopping"
	StatusStopped     Status = "stopped"
	StatusFinished    Status = "finished"
	StatusFailed      Status = "failed"
	// StatusInterrupted marks a run that was training when the process died.
	StatusInterrupted Status = "interrupted"
)

var statusLabels = map[Status]string{
	StatusIdle:        "Idle",
	StatusDownloading: "Downloading dataset",
	StatusReady:       "Ready to train",
	StatusTraining:    "Training",
	StatusStopping:    "Stopping",
	StatusStopped:     "Stopped",
	StatusFinished:    "Finished",
	StatusFailed:      "Failed",
	StatusInterrupted: "Interrupted",
}

// Label is how the status reads on the page, e.g. "Downloading dataset".
func (s Status) Label() string {
	if s == "" {
		return statusLabels[StatusIdle]
	}
	if l, ok := statusLabels[s]; ok {
		return l
	}
	// A status from a newer version still reads as a word.
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Active reports whether the status changes by itself (something runs).
func (s Status) Active() bool {
	return s == StatusDownloading || s == StatusTraining || s == StatusStopping
}

// Ended reports whether a run in this status is over for good.
func (s Status) Ended() bool {
	return s == StatusStopped || s == StatusFinished || s == StatusFailed || s == StatusInterrupted
}

// RunStatuses are the statuses a run can have, in the order it passes
// through them; a list of runs can be filtered by one.
var RunStatuses = []Status{StatusTraining, StatusStopping, StatusStopped, StatusFinished, StatusFailed, StatusInterrupted}
