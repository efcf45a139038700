package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// pumpInterval batches events: the trainer reports dozens of batches a
// second, viewers need about ten updates a second.
const pumpInterval = 100 * time.Millisecond

// pump moves events from the mailboxes to the store and the publisher until
// Close. It is the only consumer of both mailboxes. While writes wait
// unsaved it tries them again every retryInterval, and a last time at Close.
func (s *Service) pump() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		dl, tr := s.dlBox.Ready(), s.trainBox.Ready()
		s.mu.Unlock()
		var retry <-chan time.Time
		if s.unsaved.len() > 0 {
			retry = time.After(s.retryInterval)
		}
		retrying := false
		select {
		case <-dl:
		case <-tr:
		case <-s.wake:
		case <-retry:
			retrying = true
		case <-s.quit:
			s.flush(true)
			return
		}
		s.flush(retrying)
		select {
		case <-time.After(pumpInterval):
		case <-s.quit:
			s.flush(true)
			return
		}
	}
}

// flush persists every queued event, applies it to the state and publishes
// the batch, as one step for readers of the page (see Consistent). Writes
// that failed before go first, in order; without new events they are tried
// again only when retry is set.
func (s *Service) flush(retry bool) {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()

	s.mu.Lock()
	dl := s.dlBox.Drain()
	tr := keepFailure(s.trainBox.Drain(), s.failure)
	runID := s.trainRun
	s.mu.Unlock()
	if len(dl) == 0 && len(tr) == 0 && (!retry || s.unsaved.len() == 0) {
		return
	}

	// The store is written even while the app shuts down, so nothing that
	// happened is lost.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waiting := s.unsaved.len()
	s.queue(0, dl)
	s.queue(runID, tr)
	err := s.save(ctx)
	if err == nil && slices.ContainsFunc(tr, isCheckpoint) {
		s.pruneCheckpoints(ctx, runID) // only once the new checkpoint is stored
	}

	s.mu.Lock()
	for _, e := range dl {
		s.applyDataset(e)
	}
	for _, e := range tr {
		s.applyTraining(e)
	}
	moreDl, moreTr := s.storeTrouble(err, waiting, runID)
	s.mu.Unlock()
	// What the trouble says is kept like any event, before the state shows
	// it: saved now if the store is well again, else with the next writes
	// that succeed.
	s.queue(0, moreDl)
	s.queue(runID, moreTr)
	if err == nil && len(moreDl)+len(moreTr) > 0 {
		_ = s.save(ctx) // a failure here shows at the next flush
	}

	s.mu.Lock()
	for _, e := range moreTr {
		s.applyTraining(e)
	}
	update := fmnist.Update{RunID: runID, Dataset: append(dl, moreDl...), Train: append(tr, moreTr...), State: s.state}
	pub := s.pub
	s.mu.Unlock()

	if pub != nil {
		pub.Publish(update)
	}
}

// save writes the unsaved writes in order until one fails.
func (s *Service) save(ctx context.Context) error {
	gaveUp, err := s.unsaved.save(ctx, s.store)
	for _, e := range gaveUp {
		s.log.Error("store write given up", "err", e)
	}
	return err
}

// queue adds what events of run runID (0: no run) leave in the store to
// the unsaved writes.
func (s *Service) queue(runID int64, events []fmnist.Event) {
	if dropped := s.unsaved.add(writesOf(runID, events)); dropped > 0 {
		s.log.Error("too many unsaved events: some are given up", "events", dropped)
	}
}

// storeTrouble follows the store's health from the result of a save (err
// from unsaved.save; waiting events were unsaved before it) and returns the
// events that tell users: the first refused write fails a running run, or
// else warns, and a save that empties the backlog says so. s.mu is held.
func (s *Service) storeTrouble(err error, waiting int, runID int64) (dataset, training []fmnist.Event) {
	now := time.Now()
	switch {
	case err == nil && s.storeErr != nil && s.unsaved.len() == 0:
		s.storeErr = nil
		s.log.Warn("the store takes writes again; the unsaved events are saved", "events", waiting)
		return []fmnist.Event{fmnist.LogEntry{Time: now, Level: fmnist.LevelInfo, Message: fmt.Sprintf(
			"Saved the %d events that waited for the disk", waiting)}}, nil
	case err == nil || s.storeErr != nil:
		if err != nil {
			s.log.Debug("store write failed again", "err", err, "unsaved", s.unsaved.len())
		}
		return nil, nil
	}
	s.storeErr = err
	s.log.Error("store write failed: events are kept in memory and tried again", "err", err, "unsaved", s.unsaved.len())
	what := "events"
	var se *saveError
	if errors.As(err, &se) {
		what = se.write.what()
	}
	reason := s.failureReason(what, err)
	t := s.state.Training
	if t.Running() && t.RunID == runID && s.failure == "" && s.cancelTrain != nil {
		s.failure, s.failureFull = reason, diskFull(err)
		s.cancelTrain() // the trainer stops after its batch and keeps a checkpoint
		return nil, []fmnist.Event{
			fmnist.LogEntry{Time: now, Level: fmnist.LevelError, Message: "Training failed: " + reason},
			fmnist.StatusChange{Status: fmnist.StatusFailed, Reason: reason},
		}
	}
	return []fmnist.Event{fmnist.LogEntry{Time: now, Level: fmnist.LevelError, Message: "Saving failed (" + reason +
		"); what could not be saved is kept in memory and saved when the store takes it"}}, nil
}

// keepFailure drops the status changes of a run that failed for want of
// the store (failure is why), but for that failure: the trainer stopping
// afterwards must not turn it into "stopped".
func keepFailure(events []fmnist.Event, failure string) []fmnist.Event {
	if failure == "" {
		return events
	}
	return slices.DeleteFunc(events, func(e fmnist.Event) bool {
		c, ok := e.(fmnist.StatusChange)
		return ok && !(c.Status == fmnist.StatusFailed && c.Reason == failure)
	})
}

// applyDataset updates the dataset state; s.mu is held.
func (s *Service) applyDataset(e fmnist.Event) {
	d := &s.state.Dataset
	switch e := e.(type) {
	case fmnist.DownloadProgress:
		d.Progress = e
		d.Retry = nil // the mirror answered
		if e.Total < 0 || e.Done < e.Total {
			d.Verifying = false // a file is fetched again (from another mirror)
		}
	case fmnist.DatasetVerifying:
		d.Verifying = true
	case fmnist.DownloadRetry:
		d.Retry = &e
	case fmnist.StatusChange:
		d.Status, d.Reason, d.Retry, d.Verifying = e.Status, e.Reason, nil, false
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
		t.Evaluating = fmnist.Evaluating{}
	case fmnist.Evaluating:
		t.Evaluating = e
	case fmnist.SystemSample:
		s.state.System = e
	case fmnist.StatusChange:
		// A stop requested by the user shows at once; the trainer's own
		// "training" report must not undo it.
		if t.Status == fmnist.StatusStopping && e.Status == fmnist.StatusTraining {
			return
		}
		t.Status, t.Reason = e.Status, e.Reason
		if e.Status != fmnist.StatusTraining {
			t.Evaluating = fmnist.Evaluating{} // a stop ends the evaluation
		}
	case fmnist.EpochResult:
		t.LastEpoch = e
		if !t.Evaluating.Time.IsZero() {
			t.EvalSeconds = time.Since(t.Evaluating.Time).Seconds()
		}
		t.Evaluating = fmnist.Evaluating{}
	case fmnist.CheckpointSaved:
		t.Checkpoint = fmnist.Checkpoint{Path: e.Path, Epoch: e.Epoch, Batch: e.Batch}
		s.state.HasModel = true
	}
}

func isCheckpoint(e fmnist.Event) bool {
	_, ok := e.(fmnist.CheckpointSaved)
	return ok
}
