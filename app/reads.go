package app

import (
	"context"
	"slices"

	"github.com/fmnist/trainer/fmnist"
)

// The history of runs as viewers have seen it: what the store returns plus
// the writes it has not taken yet (the disk is full). So the API and the
// page agree with the live stream, which carries every event at once.

// Run returns run id, or an ENOTFOUND fmnist.Error.
func (s *Service) Run(ctx context.Context, id int64) (r fmnist.Run, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if r, err = s.store.Run(ctx, id); err != nil {
			return err
		}
		r = withUnsaved(r, pending)
		return nil
	})
	return r, err
}

// Runs returns up to limit runs, newest first; limit <= 0 means all.
func (s *Service) Runs(ctx context.Context, limit int) (runs []fmnist.Run, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if runs, err = s.store.Runs(ctx, limit); err != nil {
			return err
		}
		for i := range runs {
			runs[i] = withUnsaved(runs[i], pending)
		}
		return nil
	})
	return runs, err
}

// LatestRun returns the newest run; ok is false when there is none.
// ListRuns is the store's page of runs with their unsaved writes applied.
// While writes wait (a full disk) a run's status in the page may be newer
// than the one the filter saw.
func (s *Service) ListRuns(ctx context.Context, f fmnist.RunFilter) (runs []fmnist.Run, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if runs, err = s.store.ListRuns(ctx, f); err != nil {
			return err
		}
		for i := range runs {
			runs[i] = withUnsaved(runs[i], pending)
		}
		return nil
	})
	return runs, err
}

func (s *Service) LatestRun(ctx context.Context) (r fmnist.Run, ok bool, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if r, ok, err = s.store.LatestRun(ctx); err != nil || !ok {
			return err
		}
		r = withUnsaved(r, pending)
		return nil
	})
	return r, ok, err
}

// withUnsaved is r with its unsaved status and epoch results applied.
func withUnsaved(r fmnist.Run, pending []write) fmnist.Run {
	for _, w := range pending {
		switch w := w.(type) {
		case statusWrite:
			if w.runID == r.ID {
				r.Status, r.Reason, r.EndedAt = w.status, w.reason, w.endedAt
			}
		case epochWrite:
			if w.runID == r.ID && w.result.Epoch >= r.EpochsDone {
				acc, loss := w.result.TestAccuracy, w.result.TestLoss
				r.EpochsDone, r.TestAccuracy, r.TestLoss = w.result.Epoch, &acc, &loss
			}
		}
	}
	return r
}

// LossPoints returns run runID's loss curve in order.
func (s *Service) LossPoints(ctx context.Context, runID int64) (points []fmnist.LossPoint, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if points, err = s.store.LossPoints(ctx, runID); err != nil {
			return err
		}
		for _, w := range pending {
			if w, ok := w.(pointsWrite); ok && w.runID == runID {
				points = append(points, w.points...)
			}
		}
		return nil
	})
	return points, err
}

// EpochResults returns run runID's epoch results by epoch.
func (s *Service) EpochResults(ctx context.Context, runID int64) (results []fmnist.EpochResult, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if results, err = s.store.EpochResults(ctx, runID); err != nil {
			return err
		}
		for _, w := range pending {
			w, ok := w.(epochWrite)
			if !ok || w.runID != runID {
				continue
			}
			// A resumed run may evaluate an epoch again: the newer replaces it.
			i, found := slices.BinarySearchFunc(results, w.result.Epoch, func(r fmnist.EpochResult, epoch int) int { return r.Epoch - epoch })
			if found {
				results[i] = w.result
			} else {
				results = slices.Insert(results, i, w.result)
			}
		}
		return nil
	})
	return results, err
}

// Checkpoints returns run runID's checkpoints, oldest first. An unsaved one
// has no id yet.
func (s *Service) Checkpoints(ctx context.Context, runID int64) (ckpts []fmnist.Checkpoint, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if ckpts, err = s.store.Checkpoints(ctx, runID); err != nil {
			return err
		}
		for _, w := range pending {
			if w, ok := w.(checkpointWrite); ok && w.runID == runID {
				ckpts = append(ckpts, w.ckpt)
			}
		}
		return nil
	})
	return ckpts, err
}

// LatestCheckpoint returns the newest saved checkpoint of any run: the
// one predictions load, which they key by its id.
func (s *Service) LatestCheckpoint(ctx context.Context) (fmnist.Checkpoint, bool, error) {
	return s.store.LatestCheckpoint(ctx)
}

// RecentLogs returns the last limit log entries, oldest first; limit <= 0
// means all.
func (s *Service) RecentLogs(ctx context.Context, limit int) (entries []fmnist.LogEntry, err error) {
	err = s.unsaved.reading(func(pending []write) error {
		if entries, err = s.store.RecentLogs(ctx, limit); err != nil {
			return err
		}
		for _, w := range pending {
			if w, ok := w.(logsWrite); ok {
				entries = append(entries, w.entries...)
			}
		}
		if limit > 0 && len(entries) > limit {
			entries = entries[len(entries)-limit:]
		}
		return nil
	})
	return entries, err
}

// Resumes are the store's: the unsaved writes never hold one.
func (s *Service) Resumes(ctx context.Context, runID int64) ([]fmnist.Resume, error) {
	return s.store.Resumes(ctx, runID)
}
