package app

import (
	"context"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
)

// Examples classifies the test set with the checkpoint of q's epoch and
// returns the page of images q asks for (see app/examples).
func (s *Service) Examples(ctx context.Context, runID int64, q fmnist.ExampleQuery) (fmnist.ExamplePage, error) {
	if _, err := s.Run(ctx, runID); err != nil {
		return fmnist.ExamplePage{}, err
	}
	return s.examples.Examples(ctx, runID, q)
}

// testSet is the prepared test set, nil before the dataset is prepared.
func (s *Service) testSet() *data.Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dataset == nil {
		return nil
	}
	return &s.dataset.Test
}
