package app

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/fmnist/trainer/app/priority"
	"github.com/fmnist/trainer/app/sysmon"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// PrepareDataset starts downloading and verifying the dataset in the
// background. When the dataset is already prepared it does nothing;
// otherwise it returns fmnist.ErrBusy while a download or a run is in progress.
func (s *Service) PrepareDataset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dataset != nil {
		return nil // also while training: there is nothing to refuse
	}
	if s.downloading || s.training {
		return fmnist.ErrBusy
	}
	s.downloading = true
	ctx, cancel := context.WithCancel(s.workers)
	done := make(chan struct{})
	s.cancelDownload, s.downloadDone = cancel, done
	s.state.Dataset = fmnist.DatasetState{Status: fmnist.StatusDownloading, Progress: fmnist.DownloadProgress{FileTotal: -1, Total: -1}}
	box := s.dlBox
	box.Push(fmnist.StatusChange{Status: fmnist.StatusDownloading})
	box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelInfo, Message: "Downloading and verifying Fashion-MNIST"})
	s.workerWG.Add(1)
	go s.download(ctx, cancel, done, box)
	return nil
}

// CancelDownload ends the download in progress and waits until it has
// stopped, so the dataset is idle again and a new download may start when
// it returns. Files fetched so far stay for the next download to resume. It
// returns fmnist.ErrNotDownloading when no download is in progress.
func (s *Service) CancelDownload() error {
	s.mu.Lock()
	cancel, done := s.cancelDownload, s.downloadDone
	s.mu.Unlock()
	if cancel == nil {
		return fmnist.ErrNotDownloading
	}
	cancel()
	// The downloader stops at once, or after the file it is verifying
	// (a second or so for the largest).
	<-done
	s.flush(false)
	return nil
}

func (s *Service) download(ctx context.Context, cancel context.CancelFunc, done chan struct{}, box *fmnist.Mailbox) {
	defer s.workerWG.Done()
	defer close(done) // after the last event is queued, for CancelDownload's flush
	defer cancel()
	start := time.Now()
	dl := s.downloader
	// Once every byte is in, the last file's checks and the reading of
	// the files take a second or two more: the page says so.
	verifying := false
	verify := func() {
		if !verifying {
			verifying = true
			box.Push(fmnist.DatasetVerifying{})
			// Published now rather than with the next batch of events,
			// which may well be "ready" already.
			s.flush(false)
		}
	}
	dl.Progress = func(p fmnist.DownloadProgress) {
		box.Push(p)
		if p.Total >= 0 && p.Done >= p.Total {
			verify()
		} else {
			verifying = false // a file is fetched again
		}
	}
	dl.Retrying = func(r fmnist.DownloadRetry) {
		box.Push(r)
		box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelWarn, Message: r.Message()})
	}
	dl.Logger = s.log
	err := dl.Prepare(ctx, s.datasetDir, s.source)
	var ds *data.Dataset
	if err == nil {
		verify() // files that were in place already reported no bytes
		ds, err = data.LoadDataset(s.datasetDir)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("dataset download failed", "err", err)
	}
	// The last events are queued before the download counts as over, so
	// that they come before those of a download started right after.
	s.mu.Lock()
	switch {
	case err == nil:
		box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelInfo, Message: fmt.Sprintf(
			"Dataset ready in %.1fs: %d training and %d test images", time.Since(start).Seconds(), ds.Train.Count, ds.Test.Count)})
		box.Push(fmnist.StatusChange{Status: fmnist.StatusReady})
	case errors.Is(err, context.Canceled):
		box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelWarn, Message: "Download cancelled; it resumes where it stopped next time"})
		box.Push(fmnist.StatusChange{Status: fmnist.StatusIdle, Reason: downloadCancelled})
	default:
		box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelError, Message: "Dataset download failed: " + err.Error()})
		box.Push(fmnist.StatusChange{Status: fmnist.StatusFailed, Reason: err.Error()})
	}
	s.downloading = false
	s.cancelDownload, s.downloadDone = nil, nil
	if err == nil {
		s.dataset = ds
	}
	s.mu.Unlock()
	s.notify()
}

// downloadCancelled is the reason of an idle dataset whose download was
// cancelled.
const downloadCancelled = "The download was cancelled. The files fetched so far are kept; the next download resumes from them."

// StartTraining starts a run with cfg and returns its id. It returns
// fmnist.ErrBusy while another run or a download is in progress,
// fmnist.ErrDatasetNotReady before the dataset is prepared, an EINVALID
// fmnist.Error for a bad cfg, and an ESTORAGE one while the disk is full:
// events wait unsaved, or the data dir has less than its minimum free space.
func (s *Service) StartTraining(ctx context.Context, cfg fmnist.Config) (int64, error) {
	return s.StartTrainingNoted(ctx, cfg, "")
}

// StartTrainingNoted is StartTraining with note, unless "", as the new
// run's first log line (why it was started).
func (s *Service) StartTrainingNoted(ctx context.Context, cfg fmnist.Config, note string) (int64, error) {
	s.mu.Lock()
	if s.training && s.failureFull {
		// The run that failed is still saving its checkpoint.
		err := fmnist.Errorf(fmnist.ESTORAGE, "The last run failed: %s. Free up space and try again.", s.failure)
		s.mu.Unlock()
		return 0, err
	}
	if s.training || s.downloading {
		s.mu.Unlock()
		return 0, fmnist.ErrBusy
	}
	ds := s.dataset
	if ds == nil {
		s.mu.Unlock()
		return 0, fmnist.ErrDatasetNotReady
	}
	if err := cfg.Validate(ds.Train.Count); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	s.training = true // claim the trainer before the slower steps below
	s.mu.Unlock()

	// Events of the previous run must land under its id before a new run
	// takes the mailbox, and be saved before a new run can start.
	s.flush(true)
	now := time.Now()
	run, err := s.createRun(ctx, cfg, now)
	if err != nil {
		s.mu.Lock()
		s.training = false
		s.mu.Unlock()
		return 0, err
	}

	var first []fmnist.Event
	if note != "" {
		first = append(first, fmnist.LogEntry{Time: now, Level: fmnist.LevelInfo, Message: note})
	}
	s.launch(ds, fmnist.TrainingState{Status: fmnist.StatusTraining, RunID: run.ID, Config: cfg, StartedAt: now,
		Progress: fmnist.Progress{Epoch: 1, Epochs: cfg.Epochs, Batches: cfg.BatchesPerEpoch(ds.Train.Count)}}, nil, first...)
	return run.ID, nil
}

// roomForARun refuses (ESTORAGE) to start, resume or fork a run while
// earlier events wait unsaved or the data dir lacks its minimum free space.
func (s *Service) roomForARun() error {
	if n := s.unsaved.len(); n > 0 {
		s.mu.Lock()
		storeErr := s.storeErr
		s.mu.Unlock()
		what := "Saving earlier events failed"
		if storeErr != nil {
			what = s.failureReason("earlier events", storeErr)
		}
		return fmnist.Errorf(fmnist.ESTORAGE, "%d events of earlier work are not saved yet (%s). "+
			"Free up space: they are saved as soon as it returns, and then a run can start.", n, what)
	}
	return s.checkFreeSpace()
}

// createRun records a new run once the store has taken every earlier
// event and the data dir has the free space a run needs.
func (s *Service) createRun(ctx context.Context, cfg fmnist.Config, now time.Time) (fmnist.Run, error) {
	if err := s.roomForARun(); err != nil {
		return fmnist.Run{}, err
	}
	run, err := s.store.CreateRun(ctx, cfg, now)
	if diskFull(err) {
		s.log.Error("record the new run", "err", err)
		return fmnist.Run{}, fmnist.Errorf(fmnist.ESTORAGE, "The disk is full: the new run could not be recorded (%s).", s.spaceNote())
	}
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("record the new run: %w", err)
	}
	return run, nil
}

// launch starts the training goroutine of the run that st describes, which
// the store already holds, from a checkpoint when from is not nil. The
// caller has claimed the trainer (s.training). The events first are the
// run's before the trainer's own.
func (s *Service) launch(ds *data.Dataset, st fmnist.TrainingState, from *train.Checkpoint, first ...fmnist.Event) {
	runCtx, cancel := context.WithCancel(s.workers)
	s.mu.Lock()
	s.cancelTrain = cancel
	s.trainRun = st.RunID
	s.liveLR = &train.LiveLR{} // a request to an earlier run must not carry over
	live := s.liveLR
	s.failure, s.failureFull = "", false
	s.predictionsOutdated()
	st.Since = time.Now()
	s.state.Training = st
	box := s.trainBox
	for _, e := range first {
		box.Push(e)
	}
	s.mu.Unlock()

	s.workerWG.Add(1)
	go s.train(runCtx, cancel, ds, st.Config, st.RunID, from, box, live)
	s.notify()
}

func (s *Service) train(ctx context.Context, cancel context.CancelFunc, ds *data.Dataset, cfg fmnist.Config, runID int64, from *train.Checkpoint, box *fmnist.Mailbox, live *train.LiveLR) {
	defer s.workerWG.Done()
	defer cancel()
	restorePriority := s.lowerPriority()
	stopSampler := sysmon.Start(ctx, sysmon.Interval, nn.KernelPath(), s.imagesPerSec, func(v fmnist.SystemSample) { box.Push(v) })
	_, err := train.Run(ctx, ds, cfg, train.Options{
		CheckpointDir: s.ckptDir,
		RunID:         runFilePrefix(runID),
		Logger:        s.log.With("run", runID),
		From:          from,
		LiveLR:        live,
	}, box)
	stopSampler() // training stopped: so does the sampling
	restorePriority()
	if err != nil {
		s.log.Error("training failed", "run", runID, "err", err)
	}
	s.mu.Lock()
	if diskFull(err) && s.failure == "" {
		// The trainer said what failed; this says what to do about it.
		s.failure, s.failureFull = s.failureReason("the checkpoint", err), true
		box.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelError, Message: "Training failed: " + s.failure})
		box.Push(fmnist.StatusChange{Status: fmnist.StatusFailed, Reason: s.failure})
	}
	s.training = false
	s.cancelTrain = nil
	s.mu.Unlock()
	s.notify()
	// A run leaves tens of megabytes of freed buffers; the runtime would keep
	// them mapped for minutes. Back-to-back runs then look like a leak to
	// the machine, so return them now (one collection per run).
	debug.FreeOSMemory()
}

// lowerPriority puts the process at the service's training nice value for
// a run and returns what puts it back. Neither failing stops the run: it
// only means the page competes with training on equal terms.
func (s *Service) lowerPriority() (restore func()) {
	if s.trainNice <= 0 {
		return func() {}
	}
	put, err := priority.Lower(s.trainNice)
	if err != nil {
		s.log.Warn("training at the usual priority", "err", err)
	}
	return func() {
		if err := put(); err != nil {
			s.log.Info("the server stays at its training priority", "nice", s.trainNice, "err", err)
		}
	}
}

// imagesPerSec is the running training's throughput, for the system panel.
func (s *Service) imagesPerSec() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Training.Progress.ImagesPerSec
}

// runFilePrefix starts the names of run runID's checkpoint files.
func runFilePrefix(runID int64) string { return fmt.Sprintf("run-%d", runID) }

// StopTraining asks the running training to stop after its current batch;
// it then writes a checkpoint and reports stopped.
func (s *Service) StopTraining() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.training || s.cancelTrain == nil || s.failure != "" {
		return fmnist.ErrNotTraining // a failed run may still be saving its checkpoint
	}
	s.cancelTrain()
	s.state.Training.Status = fmnist.StatusStopping
	s.trainBox.Push(fmnist.StatusChange{Status: fmnist.StatusStopping})
	return nil
}
