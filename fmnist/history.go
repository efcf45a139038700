package fmnist

import "context"

// RunSummary is a run as the runs page lists it: the run with the results
// that take all its epochs to know.
type RunSummary struct {
	Run
	// BestAccuracy is the highest test accuracy of any epoch; nil before the
	// first evaluated epoch.
	BestAccuracy *float64
	// ImagesPerSec is the mean training throughput over its epochs; 0 before
	// the first evaluated epoch.
	ImagesPerSec float64
}

// LogQuery selects a page of one run's log, newest first.
type LogQuery struct {
	Level  Level // "" for every level
	Limit  int   // entries per page; <= 0 means all
	Offset int   // entries skipped, newest first
}

// RunHistory reads and removes whole runs: the runs page, a run's log and
// its deletion. The store implements it.
type RunHistory interface {
	// RunSummaries returns every run, newest first.
	RunSummaries(ctx context.Context) ([]RunSummary, error)
	// RunLogs returns a page of run runID's log, newest first, and how many
	// entries match q in all.
	RunLogs(ctx context.Context, runID int64, q LogQuery) (entries []LogEntry, total int, err error)
	// DeleteRun removes run id with its curve, epochs, logs and checkpoint
	// rows (not the files), returning the checkpoints it had. An unknown id
	// gives an ENOTFOUND Error.
	DeleteRun(ctx context.Context, id int64) ([]Checkpoint, error)
}
