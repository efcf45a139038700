package app

import (
	"context"

	"github.com/fmnist/trainer/fmnist"
)

// ChangeLR sets the learning rate of the run in training from its next
// batch; a schedule continues scaled. The trainer logs the change and
// reports it (fmnist.LRChange), which is stored and marked on the curve.
// Asking never waits on the training loop.
func (s *Service) ChangeLR(lr float64) error {
	if !(lr > 0 && lr <= 1) {
		return fmnist.FieldError(fmnist.FieldLR, "must be greater than 0 and at most 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.liveLR == nil || s.state.Training.Status != fmnist.StatusTraining {
		return fmnist.Errorf(fmnist.ECONFLICT, "No run is training: the learning rate can be changed only while one trains.")
	}
	s.liveLR.Request(lr)
	return nil
}

// LRChanges lists run runID's live learning-rate changes, oldest first.
func (s *Service) LRChanges(ctx context.Context, runID int64) ([]fmnist.LRChange, error) {
	return s.store.LRChanges(ctx, runID)
}
