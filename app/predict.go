package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/train"
)

// loadedModel caches the network of the newest checkpoint and its
// evaluation, which costs a pass over the test set. It is keyed by the
// checkpoint's id.
type loadedModel struct {
	checkpoint int64 // fmnist.Checkpoint.ID
	model      *train.Model
	accuracy   fmnist.Accuracy
}

// Predict classifies count random test images with the newest checkpoint.
// It returns fmnist.ErrNoModel before any checkpoint exists and fmnist.ErrDatasetNotReady
// without the dataset.
func (s *Service) Predict(ctx context.Context, count int) (*fmnist.Predictions, error) {
	s.predictMu.Lock()
	defer s.predictMu.Unlock()

	s.mu.Lock()
	ds := s.dataset
	s.mu.Unlock()
	if ds == nil {
		return nil, fmnist.ErrDatasetNotReady
	}
	ckpt, ok, err := s.store.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the latest checkpoint: %w", err)
	}
	if !ok {
		return nil, fmnist.ErrNoModel
	}
	m, err := s.loadModel(ckpt.ID, ckpt.Path, ds)
	if err != nil {
		return nil, err
	}
	if count > ds.Test.Count {
		count = ds.Test.Count
	}
	indices := train.RandomIndices(ds.Test.Count, count, time.Now().UnixNano())
	items, err := train.PredictIndices(m.model.Net, &ds.Test, indices)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	p := &fmnist.Predictions{Checkpoint: ckpt.Path, RunID: ckpt.RunID, Accuracy: m.accuracy, Items: items, MadeAt: time.Now()}
	s.mu.Lock()
	s.predictions = p
	s.mu.Unlock()
	return p, nil
}

// loadModel returns the cached model of checkpoint id, loading and
// evaluating the file at path when the checkpoint changed. s.predictMu is
// held.
func (s *Service) loadModel(id int64, path string, ds *data.Dataset) (*loadedModel, error) {
	if s.model != nil && s.model.checkpoint == id {
		return s.model, nil
	}
	model, err := train.LoadModel(path)
	if err != nil {
		return nil, fmt.Errorf("load the model: %w", err)
	}
	acc, err := train.Evaluate(model.Net, &ds.Test)
	if err != nil {
		model.Close()
		return nil, fmt.Errorf("evaluate the model: %w", err)
	}
	if s.model != nil {
		s.model.model.Close()
	}
	s.model = &loadedModel{checkpoint: id, model: model, accuracy: acc}
	return s.model, nil
}

// LastPredictions returns the predictions made last, or nil.
func (s *Service) LastPredictions() *fmnist.Predictions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.predictions
}

// predictionsOutdated forgets predictions of an older model; s.mu is held.
func (s *Service) predictionsOutdated() { s.predictions = nil }

// TestImage returns the pixels (rows×cols, row-major) and the label of test
// image i.
func (s *Service) TestImage(i int) (pixels []uint8, rows, cols, label int, err error) {
	s.mu.Lock()
	ds := s.dataset
	s.mu.Unlock()
	if ds == nil {
		return nil, 0, 0, 0, fmnist.Errorf(fmnist.ENOTFOUND, "There are no test images until the dataset is prepared.")
	}
	if i < 0 || i >= ds.Test.Count {
		return nil, 0, 0, 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no test image %d (there are %d).", i, ds.Test.Count)
	}
	return ds.Test.Image(i), ds.Test.Rows, ds.Test.Cols, int(ds.Test.Labels[i]), nil
}
