package fmnist

import (
	"context"
	"time"
)

// Run is one training run as the app keeps it.
type Run struct {
	ID        int64
	Config    Config
	Status    Status
	Reason    string // why it ended this way, e.g. the error of a failed run
	StartedAt time.Time
	EndedAt   time.Time // zero while the run is going
	// EpochsDone counts the evaluated epochs (the highest epoch with a result).
	EpochsDone int
	// TestAccuracy and TestLoss are those of the latest evaluated epoch; nil
	// until the first epoch is evaluated. TestLoss may point at NaN if the
	// loss diverged.
	TestAccuracy *float64
	TestLoss     *float64
	// BestTestAccuracy is the highest test accuracy of any evaluated epoch,
	// and ImagesPerSec the mean training speed over the evaluated epochs;
	// nil until an epoch reports one.
	BestTestAccuracy *float64
	ImagesPerSec     *float64
	// Parent is where a fork left the run it came from; nil for a run
	// started afresh.
	Parent *ForkPoint
	// Kind is KindTrained or KindImported ("" reads as trained).
	Kind RunKind
}

// Duration is how long the run trained: until it ended, or until now while
// it is going.
func (r Run) Duration(now time.Time) time.Duration {
	end := r.EndedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(r.StartedAt), 0)
}

// RunFilter selects runs for a list, newest first.
type RunFilter struct {
	Status Status // "" means any status
	Limit  int    // at most this many; <= 0 means all
	Offset int    // skip this many of the newest first
}

// ForkPoint is where a fork started: a checkpoint of its parent run. The
// position stays known after the parent or the checkpoint is deleted.
type ForkPoint struct {
	RunID        int64 // the parent run; 0 once it is deleted
	CheckpointID int64 // 0 once the checkpoint is deleted
	Epoch        int   // the checkpoint's epoch and batch (see Checkpoint)
	Batch        int
}

// Resume marks where a run continued from a checkpoint after a stop or an
// interruption: a marker on its curve.
type Resume struct {
	ID           int64
	RunID        int64
	CheckpointID int64 // 0 once the checkpoint is deleted
	Epoch        int   // the checkpoint's epoch and batch
	Batch        int
	// X is the fractional epoch on the curve (as LossPoint.Epoch) where the
	// run continued; points after it are the resumed run's.
	X         float64
	ResumedAt time.Time
}

// InterruptedReason is the reason a run gets when the process died under it.
const InterruptedReason = "the server stopped while this run was training"

// Checkpoint is a saved model of a run.
type Checkpoint struct {
	ID    int64
	RunID int64
	Path  string
	Epoch int // completed epochs (or the epoch stopped in)
	Batch int // batches done in that epoch when stopped; 0 at an epoch's end
	// TestAccuracy is the run's accuracy when the checkpoint was saved; nil
	// if no epoch had been evaluated yet.
	TestAccuracy *float64
	CreatedAt    time.Time
	// Size is the file's size in bytes where the app looked (its run page),
	// -1 if the file is missing; 0 otherwise.
	Size int64
}

// RunReader reads the history of runs: what the pages and the API show.
// Unknown runs give an ENOTFOUND Error.
type RunReader interface {
	Run(ctx context.Context, id int64) (Run, error)
	// Runs returns up to limit runs (<= 0: all), newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)
	ListRuns(ctx context.Context, f RunFilter) ([]Run, error)
	LatestRun(ctx context.Context) (r Run, ok bool, err error)
	LossPoints(ctx context.Context, runID int64) ([]LossPoint, error)
	EpochResults(ctx context.Context, runID int64) ([]EpochResult, error)
	Checkpoints(ctx context.Context, runID int64) ([]Checkpoint, error)
	LatestCheckpoint(ctx context.Context) (c Checkpoint, ok bool, err error)
	RecentLogs(ctx context.Context, limit int) ([]LogEntry, error)
	// Resumes lists where run runID was resumed, oldest first.
	Resumes(ctx context.Context, runID int64) ([]Resume, error)
	// LRChanges lists run runID's live learning-rate changes, oldest first.
	LRChanges(ctx context.Context, runID int64) ([]LRChange, error)
}

// RunStore keeps runs and everything they report. The store package
// implements it on SQLite; the app service is its only writer. A write that
// fails because the disk is full returns an error that is syscall.ENOSPC
// (errors.Is) and stores nothing, so it can be tried again.
type RunStore interface {
	RunReader
	RunHistory
	AnalysisStore
	CreateRun(ctx context.Context, cfg Config, startedAt time.Time) (Run, error)
	// ForkRun stores a new run like CreateRun, linked to where it forked.
	ForkRun(ctx context.Context, cfg Config, startedAt time.Time, parent ForkPoint) (Run, error)
	// ResumeRun puts a stopped run back to training from a checkpoint, with
	// cfg (its config, perhaps with more epochs), and records r. What the
	// run reported beyond the checkpoint (loss points after r.X, epochs
	// after the checkpoint's last whole one) is dropped: the resumed run
	// reports it again.
	ResumeRun(ctx context.Context, r Resume, cfg Config) error
	SetRunStatus(ctx context.Context, id int64, status Status, reason string, endedAt time.Time) error
	// MarkInterrupted ends every run still training or stopping, which after
	// a restart means the process died under it, and says how many.
	MarkInterrupted(ctx context.Context, now time.Time) (int64, error)
	AddLossPoints(ctx context.Context, runID int64, points []LossPoint) error
	AddEpochResult(ctx context.Context, runID int64, r EpochResult) error
	AddLRChange(ctx context.Context, runID int64, c LRChange) error
	AddCheckpoint(ctx context.Context, runID int64, path string, epoch, batch int, createdAt time.Time) error
	// DeleteCheckpoint removes a checkpoint from its run's history (not its
	// file); an unknown id gives an ENOTFOUND Error.
	DeleteCheckpoint(ctx context.Context, id int64) error
	// AddLogs stores log entries of a run, or of no run when runID is 0.
	AddLogs(ctx context.Context, runID int64, entries []LogEntry) error
	// ImportRun stores an imported run whole, in one transaction; place
	// puts its checkpoint file for the new run id and returns its path.
	ImportRun(ctx context.Context, imp ImportedRun, place func(runID int64) (string, error)) (Run, error)
	// RunOrigin is where an imported run was made; ok is false for a run
	// trained here.
	RunOrigin(ctx context.Context, id int64) (o RunOrigin, ok bool, err error)
}
