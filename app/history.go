package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// RunSummaries returns every run, newest first, for the runs page.
func (s *Service) RunSummaries(ctx context.Context) ([]fmnist.RunSummary, error) {
	return s.store.RunSummaries(ctx)
}

// RunLogs returns a page of one run's log, newest first, and how many
// entries match in all.
func (s *Service) RunLogs(ctx context.Context, runID int64, q fmnist.LogQuery) ([]fmnist.LogEntry, int, error) {
	return s.store.RunLogs(ctx, runID, q)
}

// DeleteRun removes run id: its rows in the store, then its checkpoint
// files, including any file of the run the store no longer names. It
// refuses (ECONFLICT) the run that is training, and while a new run is
// being set up, since a new run may take the deleted run's id. An unknown id
// gives ENOTFOUND.
func (s *Service) DeleteRun(ctx context.Context, id int64) error {
	s.predictMu.Lock() // the locks in the order PredictFrom and flush take them
	defer s.predictMu.Unlock()
	// Events of a run that just ended land before its rows go.
	s.flush(false)
	// Viewers learn of the change as one step, as with every update.
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	update, err := s.deleteRun(ctx, id)
	s.mu.Lock()
	pub := s.pub
	s.mu.Unlock()
	if update != nil && pub != nil {
		pub.Publish(*update)
	}
	return err
}

// deleteRun is DeleteRun under s.mu, so that no run starts (and takes id,
// which SQLite may hand out again) before the files are gone. It returns
// the update viewers need when the dashboard showed the run.
func (s *Service) deleteRun(ctx context.Context, id int64) (*fmnist.Update, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.training && (s.trainRun == id || s.cancelTrain == nil) {
		return nil, fmnist.Errorf(fmnist.ECONFLICT, "Run %d is training; stop it before deleting it.", id)
	}
	cks, err := s.store.DeleteRun(ctx, id)
	if err != nil {
		return nil, err
	}
	files := map[string]bool{}
	for _, c := range cks {
		files[c.Path] = true
	}
	// "run-3-*" does not match run 31's files.
	strays, err := filepath.Glob(filepath.Join(s.ckptDir, "run-"+strconv.FormatInt(id, 10)+"-*.ckpt"))
	if err != nil {
		return nil, fmt.Errorf("delete run %d: list its files: %w", id, err)
	}
	for _, f := range strays {
		files[f] = true
	}
	var failed []error
	for f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed = append(failed, err)
		}
	}
	update := s.forgetRun(ctx, id)
	if len(failed) > 0 {
		return update, fmt.Errorf("delete run %d: its rows are gone but not all its files: %w", id, errors.Join(failed...))
	}
	s.log.Info("run deleted", "run", id, "files", len(files))
	return update, nil
}

// forgetRun drops what the state and caches keep of a deleted run, and
// returns the update for viewers when the dashboard showed it (nil
// otherwise); s.mu and s.predictMu are held.
func (s *Service) forgetRun(ctx context.Context, id int64) *fmnist.Update {
	s.evaluated = nil // checkpoint ids may be handed out again
	shown := s.state.Training.RunID == id || s.predictions != nil && s.predictions.RunID == id
	if s.predictions != nil && s.predictions.RunID == id {
		s.predictions = nil
	}
	if s.state.Training.RunID == id {
		s.state.Training = fmnist.TrainingState{Status: fmnist.StatusIdle}
	}
	if _, ok, err := s.store.LatestCheckpoint(ctx); err == nil {
		s.state.HasModel = ok
	}
	if !shown {
		return nil
	}
	return &fmnist.Update{Train: []fmnist.Event{fmnist.StatusChange{Status: s.state.Training.Status}}, State: s.state}
}

// RunCheckpoints returns run runID's checkpoints, oldest first, with the
// size of each file (-1 for a missing one).
func (s *Service) RunCheckpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error) {
	cks, err := s.store.Checkpoints(ctx, runID)
	if err != nil {
		return nil, err
	}
	for i := range cks {
		cks[i].Size = -1
		if fi, err := os.Stat(cks[i].Path); err == nil {
			cks[i].Size = fi.Size()
		}
	}
	return cks, nil
}
