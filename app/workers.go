package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fmnist/trainer/ml"
)

// PrepareDataset starts downloading and verifying the dataset in the
// background. When the dataset is already prepared it does nothing;
// otherwise it returns ErrBusy while a download or a run is in progress.
func (s *Service) PrepareDataset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dataset != nil {
		return nil // also while training: there is nothing to refuse
	}
	if s.downloading || s.training {
		return ml.ErrBusy
	}
	s.downloading = true
	s.state.Dataset = DatasetState{Status: ml.StatusDownloading, Progress: ml.DownloadProgress{FileTotal: -1, Total: -1}}
	box := s.dlBox
	box.Push(ml.StatusChange{Status: ml.StatusDownloading})
	box.Push(ml.LogEntry{Time: time.Now(), Level: ml.LevelInfo, Message: "Downloading and verifying Fashion-MNIST"})
	s.workerWG.Add(1)
	go s.download(box)
	return nil
}

func (s *Service) download(box *ml.Mailbox) {
	defer s.workerWG.Done()
	start := time.Now()
	dl := ml.Downloader{Progress: func(p ml.DownloadProgress) { box.Push(p) }, Logger: s.log}
	err := dl.Prepare(s.workers, s.datasetDir, s.source)
	var ds *ml.Dataset
	if err == nil {
		ds, err = ml.LoadDataset(s.datasetDir)
	}
	s.mu.Lock()
	s.downloading = false
	if err == nil {
		s.dataset = ds
	}
	s.mu.Unlock()

	switch {
	case err == nil:
		box.Push(ml.LogEntry{Time: time.Now(), Level: ml.LevelInfo, Message: fmt.Sprintf(
			"Dataset ready in %.1fs: %d training and %d test images", time.Since(start).Seconds(), ds.Train.Count, ds.Test.Count)})
		box.Push(ml.StatusChange{Status: ml.StatusReady})
	case errors.Is(err, context.Canceled):
		box.Push(ml.LogEntry{Time: time.Now(), Level: ml.LevelWarn, Message: "Download cancelled; it resumes where it stopped next time"})
		box.Push(ml.StatusChange{Status: ml.StatusIdle})
	default:
		s.log.Error("dataset download failed", "err", err)
		box.Push(ml.LogEntry{Time: time.Now(), Level: ml.LevelError, Message: "Dataset download failed: " + err.Error()})
		box.Push(ml.StatusChange{Status: ml.StatusFailed, Reason: err.Error()})
	}
	s.notify()
}

// StartTraining starts a run with cfg and returns its id. It returns ErrBusy
// while another run or a download is in progress, ErrDatasetNotReady before
// the dataset is prepared, and a *ml.FieldError for a bad cfg.
func (s *Service) StartTraining(ctx context.Context, cfg ml.Config) (int64, error) {
	s.mu.Lock()
	if s.training || s.downloading {
		s.mu.Unlock()
		return 0, ml.ErrBusy
	}
	ds := s.dataset
	if ds == nil {
		s.mu.Unlock()
		return 0, ErrDatasetNotReady
	}
	if err := cfg.Validate(ds.Train.Count); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	s.training = true // claim the trainer before the slower steps below
	s.mu.Unlock()

	// Events of the previous run must land under its id before a new run
	// takes the mailbox.
	s.flush()
	now := time.Now()
	run, err := s.store.CreateRun(ctx, cfg, now)
	if err != nil {
		s.mu.Lock()
		s.training = false
		s.mu.Unlock()
		return 0, fmt.Errorf("record the new run: %w", err)
	}

	runCtx, cancel := context.WithCancel(s.workers)
	s.mu.Lock()
	s.cancelTrain = cancel
	s.trainRun = run.ID
	s.predictionsOutdated()
	s.state.Training = TrainingState{Status: ml.StatusTraining, RunID: run.ID, Config: cfg, StartedAt: now,
		Progress: ml.Progress{Epoch: 1, Epochs: cfg.Epochs, Batches: cfg.BatchesPerEpoch(ds.Train.Count)}}
	box := s.trainBox
	s.mu.Unlock()

	s.workerWG.Add(1)
	go s.train(runCtx, cancel, ds, cfg, run.ID, box)
	s.notify()
	return run.ID, nil
}

func (s *Service) train(ctx context.Context, cancel context.CancelFunc, ds *ml.Dataset, cfg ml.Config, runID int64, box *ml.Mailbox) {
	defer s.workerWG.Done()
	defer cancel()
	_, err := ml.Train(ctx, ds, cfg, ml.TrainOptions{
		CheckpointDir: s.ckptDir,
		RunID:         fmt.Sprintf("run-%d", runID),
		Logger:        s.log.With("run", runID),
	}, box)
	if err != nil {
		s.log.Error("training failed", "run", runID, "err", err)
	}
	s.mu.Lock()
	s.training = false
	s.cancelTrain = nil
	s.mu.Unlock()
	s.notify()
}

// StopTraining asks the running training to stop after its current batch;
// it then writes a checkpoint and reports stopped.
func (s *Service) StopTraining() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.training || s.cancelTrain == nil {
		return ErrNotTraining
	}
	s.cancelTrain()
	s.state.Training.Status = ml.StatusStopping
	s.trainBox.Push(ml.StatusChange{Status: ml.StatusStopping})
	return nil
}
