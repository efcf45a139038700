package app

import (
	"context"
	"time"

	"github.com/fmnist/trainer/ml"
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
	update := Update{RunID: runID, Dataset: dl, Train: tr, State: s.state}
	pub := s.pub
	s.mu.Unlock()

	if pub != nil {
		pub.Publish(update)
	}
}

// persist writes what the store keeps of events: loss points, logs, epoch
// results, checkpoints and status changes of a run (runID 0: no run).
func (s *Service) persist(ctx context.Context, runID int64, events []ml.Event) {
	var points []ml.LossPoint
	var logs []ml.LogEntry
	for _, e := range events {
		switch e := e.(type) {
		case ml.LossPoint:
			points = append(points, e)
		case ml.LogEntry:
			logs = append(logs, e)
		case ml.EpochResult:
			s.check(s.store.AddEpochResult(ctx, runID, e), "epoch result")
		case ml.CheckpointSaved:
			s.check(s.store.AddCheckpoint(ctx, runID, e.Path, e.Epoch, e.Batch, time.Now()), "checkpoint")
		case ml.StatusChange:
			if runID == 0 {
				continue
			}
			var ended time.Time
			switch e.Status {
			case ml.StatusStopped, ml.StatusFinished, ml.StatusFailed:
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
func (s *Service) applyDataset(e ml.Event) {
	d := &s.state.Dataset
	switch e := e.(type) {
	case ml.DownloadProgress:
		d.Progress = e
	case ml.StatusChange:
		d.Status, d.Reason = e.Status, e.Reason
		if e.Status == ml.StatusReady && s.dataset != nil {
			d.Train, d.Test = s.dataset.Train.Count, s.dataset.Test.Count
		}
	}
}

// applyTraining updates the training state; s.mu is held.
func (s *Service) applyTraining(e ml.Event) {
	t := &s.state.Training
	switch e := e.(type) {
	case ml.Progress:
		t.Progress = e
	case ml.StatusChange:
		// A stop requested by the user shows at once; the trainer's own
		// "training" report must not undo it.
		if t.Status == ml.StatusStopping && e.Status == ml.StatusTraining {
			return
		}
		t.Status, t.Reason = e.Status, e.Reason
	case ml.EpochResult:
		t.LastEpoch = e
	case ml.CheckpointSaved:
		t.Checkpoint = Checkpoint{Path: e.Path, Epoch: e.Epoch, Batch: e.Batch}
		s.state.HasModel = true
	}
}
