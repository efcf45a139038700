package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/train"
)

// Resume continues run runID from its last checkpoint, on the same run and
// curve, to its configured epochs, or to epochs when that is above 0. Only
// a stopped or interrupted run resumes, or a finished one given more epochs.
// It returns fmnist.ErrBusy while something else runs, an ENOTFOUND error
// for an unknown run, an ECONFLICT error for a run that cannot resume (its
// status, no checkpoint, a version-1 checkpoint) and an EINVALID one for
// bad epochs.
func (s *Service) Resume(ctx context.Context, runID int64, epochs int) error {
	ds, err := s.claimTrainer()
	if err != nil {
		return err
	}
	if err := s.resume(ctx, ds, runID, epochs); err != nil {
		s.releaseTrainer()
		return err
	}
	return nil
}

func (s *Service) resume(ctx context.Context, ds *data.Dataset, runID int64, epochs int) error {
	run, err := s.store.Run(ctx, runID)
	if err != nil {
		return err
	}
	cfg := run.Config
	if epochs > 0 {
		cfg.Epochs = epochs
	}
	switch {
	case run.Status == fmnist.StatusFinished && cfg.Epochs <= run.Config.Epochs:
		return fmnist.Errorf(fmnist.ECONFLICT, "Run %d has finished its %d epochs; give more epochs to extend it.", runID, run.Config.Epochs)
	case run.Status != fmnist.StatusStopped && run.Status != fmnist.StatusInterrupted && run.Status != fmnist.StatusFinished:
		return fmnist.Errorf(fmnist.ECONFLICT, "Run %d has status %q; only a stopped or interrupted run can resume.", runID, strings.ToLower(run.Status.Label()))
	}
	cks, err := s.store.Checkpoints(ctx, runID)
	if err != nil {
		return fmt.Errorf("resume run %d: %w", runID, err)
	}
	if len(cks) == 0 {
		return fmnist.Errorf(fmnist.ECONFLICT, "Run %d has no checkpoint to resume from.", runID)
	}
	last := cks[len(cks)-1]
	ck, err := s.continuable(last, cfg, ds)
	if err != nil {
		return err
	}

	// The previous run's events must land under its id first.
	s.flush(true)
	if err := s.roomForARun(); err != nil {
		return err
	}
	now := time.Now()
	x := curveX(last.Epoch, last.Batch, cfg.BatchesPerEpoch(ds.Train.Count))
	if err := s.store.ResumeRun(ctx, fmnist.Resume{RunID: runID, CheckpointID: last.ID, Epoch: last.Epoch, Batch: last.Batch,
		X: x, ResumedAt: now}, cfg); err != nil {
		return fmt.Errorf("record the resume: %w", err)
	}
	s.log.Info("run resumed", "run", runID, "checkpoint", last.Path, "epochs", cfg.Epochs)
	st := fmnist.TrainingState{Status: fmnist.StatusTraining, RunID: runID, Config: cfg, StartedAt: run.StartedAt,
		Checkpoint: last, Progress: startProgress(ck, cfg, ds)}
	results, err := s.store.EpochResults(ctx, runID)
	if err != nil {
		// Only the progress panel's last accuracy is missing until the
		// next epoch; the run itself is sound.
		s.log.Warn("read the resumed run's epochs", "run", runID, "err", err)
	}
	if len(results) > 0 {
		st.LastEpoch = results[len(results)-1]
	}
	s.launch(ds, st, ck)
	return nil
}

// Fork starts a new run from checkpoint checkpointID of run runID, with the
// parent's config changed by overrides: it takes the checkpoint's weights,
// optimiser state and position, so its epochs and curve continue from
// there, and it keeps a link to its parent. It returns the new run's id, or
// the errors of Resume (EINVALID for a bad config).
func (s *Service) Fork(ctx context.Context, runID, checkpointID int64, overrides fmnist.ConfigChanges) (int64, error) {
	ds, err := s.claimTrainer()
	if err != nil {
		return 0, err
	}
	id, err := s.fork(ctx, ds, runID, checkpointID, overrides)
	if err != nil {
		s.releaseTrainer()
		return 0, err
	}
	return id, nil
}

func (s *Service) fork(ctx context.Context, ds *data.Dataset, runID, checkpointID int64, overrides fmnist.ConfigChanges) (int64, error) {
	parent, err := s.store.Run(ctx, runID)
	if err != nil {
		return 0, err
	}
	cks, err := s.store.Checkpoints(ctx, runID)
	if err != nil {
		return 0, fmt.Errorf("fork run %d: %w", runID, err)
	}
	var from *fmnist.Checkpoint
	for i := range cks {
		if cks[i].ID == checkpointID {
			from = &cks[i]
		}
	}
	if from == nil {
		return 0, fmnist.Errorf(fmnist.ENOTFOUND, "Run %d has no checkpoint %d.", runID, checkpointID)
	}
	cfg, err := overrides.Apply(parent.Config)
	if err != nil {
		return 0, err
	}
	if err := cfg.Validate(ds.Train.Count); err != nil {
		return 0, err
	}
	ck, err := s.continuable(*from, cfg, ds)
	if err != nil {
		return 0, err
	}

	s.flush(true)
	if err := s.roomForARun(); err != nil {
		return 0, err
	}
	now := time.Now()
	run, err := s.store.ForkRun(ctx, cfg, now, fmnist.ForkPoint{RunID: runID, CheckpointID: checkpointID, Epoch: from.Epoch, Batch: from.Batch})
	if err != nil {
		return 0, fmt.Errorf("record the fork: %w", err)
	}
	s.log.Info("run forked", "run", run.ID, "parent", runID, "checkpoint", from.Path)
	note := fmnist.LogEntry{Time: now, Level: fmnist.LevelInfo, Message: fmt.Sprintf(
		"Run %d forks run %d at its checkpoint %s", run.ID, runID, wherePhrase(from.Epoch, from.Batch))}
	s.launch(ds, fmnist.TrainingState{Status: fmnist.StatusTraining, RunID: run.ID, Config: cfg, StartedAt: now,
		Progress: startProgress(ck, cfg, ds)}, ck, note)
	return run.ID, nil
}

// continuable reads checkpoint c and checks that a run with cfg can
// continue from it (see train.Checkpoint.CanContinue).
func (s *Service) continuable(c fmnist.Checkpoint, cfg fmnist.Config, ds *data.Dataset) (*train.Checkpoint, error) {
	ck, err := train.ReadCheckpoint(c.Path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %d: %w", c.ID, err)
	}
	if err := ck.CanContinue(cfg, ds.Train.Count); err != nil {
		return nil, err
	}
	return ck, nil
}

// claimTrainer takes the one trainer for a run, as StartTraining does, and
// returns the dataset it trains on.
func (s *Service) claimTrainer() (*data.Dataset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.training || s.downloading {
		return nil, fmnist.ErrBusy
	}
	if s.dataset == nil {
		return nil, fmnist.ErrDatasetNotReady
	}
	s.training = true
	return s.dataset, nil
}

// releaseTrainer gives the trainer back after a run could not start.
func (s *Service) releaseTrainer() {
	s.mu.Lock()
	s.training = false
	s.mu.Unlock()
}

// curveX is where on the loss curve (in fractional epochs, as the trainer
// computes a point's) a checkpoint after batch of epoch lies.
func curveX(epoch, batch, batches int) float64 {
	if batch == 0 {
		return float64(epoch)
	}
	return float64(epoch-1) + float64(batch)/float64(batches)
}

// startProgress is the progress of a run about to continue from ck.
func startProgress(ck *train.Checkpoint, cfg fmnist.Config, ds *data.Dataset) fmnist.Progress {
	p := fmnist.Progress{Epoch: ck.Meta.Epoch, Batch: ck.Meta.Batch, Epochs: cfg.Epochs, Batches: cfg.BatchesPerEpoch(ds.Train.Count)}
	if ck.Meta.Batch == 0 {
		p.Epoch, p.Batch = ck.Meta.Epoch+1, 0
	}
	return p
}

// wherePhrase says where a checkpoint of (epoch, batch) was taken.
func wherePhrase(epoch, batch int) string {
	if batch == 0 {
		return fmt.Sprintf("after epoch %d", epoch)
	}
	return fmt.Sprintf("in epoch %d after batch %d", epoch, batch)
}
