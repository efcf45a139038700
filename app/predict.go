package app

import (
	"context"
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/train"
)

// evaluation is the test accuracy of a checkpoint, which costs a pass over
// the test set, kept for the next Predict. The network itself is not kept:
// it holds tens of megabytes of buffers, and loading it again for 16
// images takes milliseconds.
type evaluation struct {
	checkpoint int64 // fmnist.Checkpoint.ID
	accuracy   fmnist.Accuracy
}

// Predict classifies count random test images with the newest checkpoint.
// It returns fmnist.ErrNoModel before any checkpoint exists and fmnist.ErrDatasetNotReady
// without the dataset.
func (s *Service) Predict(ctx context.Context, count int) (*fmnist.Predictions, error) {
	return s.PredictFrom(ctx, fmnist.PredictionRequest{Count: count})
}

// PredictFrom classifies test images with the checkpoint req names (the
// newest one by default). Predictions of the newest model become the
// dashboard's; those of a chosen checkpoint are only returned. A run or
// checkpoint that does not exist gives ENOTFOUND, an index outside the test
// set EINVALID.
func (s *Service) PredictFrom(ctx context.Context, req fmnist.PredictionRequest) (*fmnist.Predictions, error) {
	s.predictMu.Lock()
	defer s.predictMu.Unlock()

	s.mu.Lock()
	ds := s.dataset
	s.mu.Unlock()
	if ds == nil {
		return nil, fmnist.ErrDatasetNotReady
	}
	for _, i := range req.Indices {
		if i < 0 || i >= ds.Test.Count {
			return nil, fmnist.FieldError("indices", fmt.Sprintf("%d is not a test image (there are %d, from 0)", i, ds.Test.Count))
		}
	}
	ckpt, err := s.checkpointFor(ctx, req)
	if err != nil {
		return nil, err
	}
	model, err := train.LoadModel(ckpt.Path)
	if err != nil {
		return nil, fmt.Errorf("load the model: %w", err)
	}
	defer model.Close()
	if s.evaluated == nil || s.evaluated.checkpoint != ckpt.ID {
		acc, err := train.EvaluateTTA(model.Net, &ds.Test, model.TTA())
		if err != nil {
			return nil, fmt.Errorf("evaluate the model: %w", err)
		}
		s.evaluated = &evaluation{checkpoint: ckpt.ID, accuracy: acc}
	}
	indices := req.Indices
	if indices == nil {
		indices = train.RandomIndices(ds.Test.Count, min(req.Count, ds.Test.Count), time.Now().UnixNano())
	}
	items, err := train.PredictIndicesTTA(model.Net, &ds.Test, indices, model.TTA())
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	p := &fmnist.Predictions{Checkpoint: ckpt.Path, CheckpointID: ckpt.ID, RunID: ckpt.RunID,
		CheckpointEpoch: ckpt.Epoch, CheckpointBatch: ckpt.Batch,
		Accuracy: s.evaluated.accuracy, Items: items, MadeAt: time.Now()}
	if req.RunID == 0 {
		s.mu.Lock()
		s.predictions = p
		s.mu.Unlock()
	}
	return p, nil
}

// FindCheckpoint is checkpoint checkpointID of run runID (0: the run's
// newest; both 0: the newest of all), with checkpointFor's errors.
func (s *Service) FindCheckpoint(ctx context.Context, runID, checkpointID int64) (fmnist.Checkpoint, error) {
	return s.checkpointFor(ctx, fmnist.PredictionRequest{RunID: runID, CheckpointID: checkpointID})
}

// checkpointFor finds the checkpoint a prediction request names.
func (s *Service) checkpointFor(ctx context.Context, req fmnist.PredictionRequest) (fmnist.Checkpoint, error) {
	if req.RunID == 0 {
		if req.CheckpointID != 0 {
			return fmnist.Checkpoint{}, fmnist.FieldError("run_id", "name the run of the checkpoint")
		}
		ckpt, ok, err := s.store.LatestCheckpoint(ctx)
		if err != nil {
			return fmnist.Checkpoint{}, fmt.Errorf("find the latest checkpoint: %w", err)
		}
		if !ok {
			return fmnist.Checkpoint{}, fmnist.ErrNoModel
		}
		return ckpt, nil
	}
	cks, err := s.store.Checkpoints(ctx, req.RunID)
	if err != nil {
		return fmnist.Checkpoint{}, fmt.Errorf("find the checkpoints of run %d: %w", req.RunID, err)
	}
	if len(cks) == 0 {
		if _, err := s.store.Run(ctx, req.RunID); err != nil {
			return fmnist.Checkpoint{}, err
		}
		return fmnist.Checkpoint{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d has no checkpoint yet.", req.RunID)
	}
	if req.CheckpointID == 0 {
		return cks[len(cks)-1], nil
	}
	for _, c := range cks {
		if c.ID == req.CheckpointID {
			return c, nil
		}
	}
	return fmnist.Checkpoint{}, fmnist.Errorf(fmnist.ENOTFOUND, "Run %d has no checkpoint %d.", req.RunID, req.CheckpointID)
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
