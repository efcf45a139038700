package app

import (
	"context"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// pumpInterval batches events: the trainer reports dozens of batches a
// second, viewers need about ten updates a second.
const pumpInterval = 100 * time.Millisecond

// pump moves events from the mailboxes to the store and the publisher until
// Close. It is the only consumer of both mailboxes.
func (s *Service) pump() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		dl, tr := s.dlBox.Ready(), s.trainBox.Ready()
		s.mu.Unlock()
		select {
		case <-dl:
		case <-tr:
		case <-s.wake:
		case <-s.quit:
			s.flush()
			return
		}
		s.flush()
		select {
		case <-time.After(pumpInterval):
		case <-s.quit:
			s.flush()
			return
		}
	}
}

// flush persists every queued event, applies it to the state and publishes
// the batch, as one step for readers of the page (see Consistent).
func (s *Service) flush() {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()

	s.mu.Lock()
	dl := s.dlBox.Drain()
	tr := s.trainBox.Drain()
	runID := s.trainRun
	s.mu.Unlock()
	if len(dl) == 0 && len(tr) == 0 {
		return
	}

	// The store is written even while the app shuts down, so nothing that
	// happened is lost.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.persist(ctx, 0, dl)
	s.persist(ctx, runID, tr)

	s.mu.Lock()
	for _, e := range dl {
		s.applyDataset(e)
	}
	for _, e := range tr {
		s.applyTraining(e)
	}
	update := fmnist.Update{RunID: runID, Dataset: dl, Train: tr, State: s.state}
	pub := s.pub
	s.mu.Unlock()

	if pub != nil {
		pub.Publish(update)
	}
}

// persist writes what the store keeps of events: loss points, logs, epoch
// results, checkpoints and status changes of a run (runID 0: no run).
func (s *Service) persist(ctx context.Context, runID int64, events []fmnist.Event) {
	var points []fmnist.LossPoint
	var logs []fmnist.LogEntry
	for _, e := range events {
		switch e := e.(type) {
		case fmnist.LossPoint:
			points = append(points, e)
		case fmnist.LogEntry:
			logs = append(logs, e)
		case fmnist.EpochResult:
			s.check(s.store.AddEpochResult(ctx, runID, e), "epoch result")
		case fmnist.CheckpointSaved:
			if err := s.store.AddCheckpoint(ctx, runID, e.Path, e.Epoch, e.Batch, time.Now()); err != nil {
				s.check(err, "checkpoint")
				continue
			}
			s.pruneCheckpoints(ctx, runID)
		case fmnist.StatusChange:
			if runID == 0 {
				continue
			}
			var ended time.Time
			switch e.Status {
			case fmnist.StatusStopped, fmnist.StatusFinished, fmnist.StatusFailed:
				ended = time.Now()
			}
			s.check(s.store.SetRunStatus(ctx, runID, e.Status, e.Reason, ended), "run status")
		}
	}
	if len(points) > 0 {
		s.check(s.store.AddLossPoints(ctx, runID, points), "loss points")
	}
	if len(logs) > 0 {
		s.check(s.store.AddLogs(ctx, runID, logs), "log entries")
	}
}

func (s *Service) check(err error, what string) {
	if err != nil {
		s.log.Error("store write failed", "what", what, "err", err)
	}
}

// applyDataset updates the dataset state; s.mu is held.
func (s *Service) applyDataset(e fmnist.Event) {
	d := &s.state.Dataset
	switch e := e.(type) {
	case fmnist.DownloadProgress:
		d.Progress = e
		d.Retry = nil // the mirror answered
	case fmnist.DownloadRetry:
		d.Retry = &e
	case fmnist.StatusChange:
		d.Status, d.Reason, d.Retry = e.Status, e.Reason, nil
		if e.Status == fmnist.StatusReady && s.dataset != nil {
			d.Train, d.Test = s.dataset.Train.Count, s.dataset.Test.Count
		}
	}
}

// applyTraining updates the training state; s.mu is held.
func (s *Service) applyTraining(e fmnist.Event) {
	t := &s.state.Training
	switch e := e.(type) {
	case fmnist.Progress:
		t.Progress = e
	case fmnist.StatusChange:
		// A stop requested by the user shows at once; the trainer's own
		// "training" report must not undo it.
		if t.Status == fmnist.StatusStopping && e.Status == fmnist.StatusTraining {
			return
		}
		t.Status, t.Reason = e.Status, e.Reason
	case fmnist.EpochResult:
		t.LastEpoch = e
	case fmnist.CheckpointSaved:
		t.Checkpoint = fmnist.Checkpoint{Path: e.Path, Epoch: e.Epoch, Batch: e.Batch}
		s.state.HasModel = true
	}
}
