package app

import (
	"context"
	"sync"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// maxUnsavedEvents bounds the memory unsaved events take (about a hundred
// bytes each). A run stops at the first failed write, so only the events
// of its last moments and of the service itself can pile up behind it.
const maxUnsavedEvents = 100_000

// write is what events leave in the store: one call of the store's.
type write interface {
	save(ctx context.Context, st fmnist.RunStore) error
	size() int    // events it carries
	what() string // what it saves, for messages: "loss points"
}

type (
	pointsWrite struct {
		runID  int64
		points []fmnist.LossPoint
	}
	logsWrite struct {
		runID   int64 // 0: no run's
		entries []fmnist.LogEntry
	}
	lrChangeWrite struct {
		runID  int64
		change fmnist.LRChange
	}
	epochWrite struct {
		runID  int64
		result fmnist.EpochResult
	}
	analysisWrite struct {
		runID    int64
		analysis fmnist.EpochAnalysis
	}
	warningWrite struct {
		runID   int64
		warning fmnist.Warning
	}
	checkpointWrite struct {
		runID int64
		ckpt  fmnist.Checkpoint // Path, Epoch, Batch and CreatedAt
	}
	statusWrite struct {
		runID   int64
		status  fmnist.Status
		reason  string
		endedAt time.Time // zero while the run goes on
	}
)

func (w pointsWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddLossPoints(ctx, w.runID, w.points)
}

func (w logsWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddLogs(ctx, w.runID, w.entries)
}

func (w epochWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddEpochResult(ctx, w.runID, w.result)
}

func (w analysisWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddEpochAnalysis(ctx, w.runID, w.analysis)
}

func (w warningWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddWarning(ctx, w.runID, w.warning)
}

func (w lrChangeWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddLRChange(ctx, w.runID, w.change)
}

func (w checkpointWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.AddCheckpoint(ctx, w.runID, w.ckpt.Path, w.ckpt.Epoch, w.ckpt.Batch, w.ckpt.CreatedAt)
}

func (w statusWrite) save(ctx context.Context, st fmnist.RunStore) error {
	return st.SetRunStatus(ctx, w.runID, w.status, w.reason, w.endedAt)
}

func (w pointsWrite) size() int     { return len(w.points) }
func (w logsWrite) size() int       { return len(w.entries) }
func (w epochWrite) size() int      { return 1 }
func (w lrChangeWrite) size() int   { return 1 }
func (w checkpointWrite) size() int { return 1 }
func (w analysisWrite) size() int   { return 1 }
func (w warningWrite) size() int    { return 1 }
func (w statusWrite) size() int     { return 1 }

func (w pointsWrite) what() string     { return "loss points" }
func (w logsWrite) what() string       { return "log entries" }
func (w epochWrite) what() string      { return "an epoch result" }
func (w checkpointWrite) what() string { return "a checkpoint record" }
func (w analysisWrite) what() string   { return "an epoch's confusion matrix" }
func (w warningWrite) what() string    { return "a training warning" }
func (w statusWrite) what() string     { return "the run status" }
func (w lrChangeWrite) what() string   { return "a learning-rate change" }

// writesOf is what events of run runID (0: no run) leave in the store:
// epoch results, checkpoints and status changes in order, then the loss
// points and the log entries, each in one write.
func writesOf(runID int64, events []fmnist.Event) []write {
	var (
		out    []write
		points []fmnist.LossPoint
		logs   []fmnist.LogEntry
	)
	now := storedTime(time.Now())
	for _, e := range events {
		switch e := e.(type) {
		case fmnist.LossPoint:
			points = append(points, e)
		case fmnist.LogEntry:
			logs = append(logs, e)
		case fmnist.EpochResult:
			out = append(out, epochWrite{runID, e})
		case fmnist.EpochAnalysis:
			out = append(out, analysisWrite{runID, e})
		case fmnist.Warning:
			out = append(out, warningWrite{runID, e})
		case fmnist.LRChange:
			out = append(out, lrChangeWrite{runID, e})
		case fmnist.CheckpointSaved:
			out = append(out, checkpointWrite{runID, fmnist.Checkpoint{RunID: runID, Path: e.Path, Epoch: e.Epoch, Batch: e.Batch, CreatedAt: now}})
		case fmnist.StatusChange:
			if runID == 0 {
				continue // the dataset's status is not stored
			}
			var ended time.Time
			if e.Status.Ended() {
				ended = now
			}
			out = append(out, statusWrite{runID, e.Status, e.Reason, ended})
		}
	}
	if len(points) > 0 {
		out = append(out, pointsWrite{runID, points})
	}
	if len(logs) > 0 {
		out = append(out, logsWrite{runID, logs})
	}
	return out
}

// storedTime is t as the store gives it back (milliseconds), so a run reads
// the same before and after its unsaved writes are saved.
func storedTime(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()) }

// unsaved holds the writes the store has not taken yet, oldest first: all
// go through it, and they leave it only once saved, in order. Reads through
// the service add them to what the store returns (see reads.go).
type unsaved struct {
	// mu is held for writing while writes leave for the store, and for
	// reading while a reader adds the unsaved writes to what it read from
	// the store, so that no write is read twice or not at all.
	mu     sync.RWMutex
	writes []write
	events int // events the writes carry
}

// add queues ws behind the unsaved writes. Past maxUnsavedEvents it keeps
// only statuses, epoch results and checkpoints, and says how many loss
// points and log entries it gave up.
func (u *unsaved) add(ws []write) (dropped int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, w := range ws {
		switch w.(type) {
		case pointsWrite, logsWrite:
			if u.events+w.size() > maxUnsavedEvents {
				dropped += w.size()
				continue
			}
		}
		u.writes = append(u.writes, w)
		u.events += w.size()
	}
	return dropped
}

// saveError is a write the store refused.
type saveError struct {
	write write
	err   error
}

func (e *saveError) Error() string { return "save " + e.write.what() + ": " + e.err.Error() }
func (e *saveError) Unwrap() error { return e.err }

// save writes the unsaved writes to st in order until one fails, and
// returns a *saveError for the failure. A write about a run that does not
// exist cannot succeed later: it is given up and its error returned in
// gaveUp.
func (u *unsaved) save(ctx context.Context, st fmnist.RunStore) (gaveUp []error, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.writes) > 0 {
		w := u.writes[0]
		if err := w.save(ctx, st); err != nil {
			if fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
				return gaveUp, &saveError{w, err}
			}
			gaveUp = append(gaveUp, err)
		}
		u.writes[0] = nil
		u.writes = u.writes[1:]
		u.events -= w.size()
	}
	u.writes = nil // let the backing array go
	return gaveUp, nil
}

// len is how many events are unsaved.
func (u *unsaved) len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.events
}

// reading calls read with the unsaved writes, none of which can be saved
// until read returns. With nothing unsaved, read does not hold saves off.
func (u *unsaved) reading(read func(pending []write) error) error {
	u.mu.RLock()
	if len(u.writes) == 0 {
		u.mu.RUnlock()
		return read(nil)
	}
	defer u.mu.RUnlock()
	return read(u.writes)
}
