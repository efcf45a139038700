// Package app is the application service between the web layer and the
// machine-learning core: it allows one download and one training run at a
// time, persists every event to the store as it happens, and hands each batch
// of events, with the state after it, to a Publisher (the live page).
//
// Events travel trainer → fmnist.Mailbox (never blocks) → the pump goroutine
// (persist, then publish). Nothing on that path can slow the training loop.
//
// A write the store refuses (the disk is full) fails the run at once; the
// unsaved events stay in memory, are shown by the service's reads, and are
// tried again until the store takes them.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fmnist/trainer/app/examples"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/train"
)

// Options configure a Service.
type Options struct {
	Store         fmnist.RunStore
	DatasetDir    string // where the four IDX files are prepared
	CheckpointDir string // where training runs write their checkpoints
	DatasetURL    string // "" for the official mirrors
	// Downloader tunes dataset downloads (HTTP client, attempts, backoff,
	// stall timeout); the zero value has the defaults. The service sets its
	// hooks and Logger.
	Downloader data.Downloader
	// Retention says which checkpoints of a run stay; the zero value keeps
	// them all.
	Retention fmnist.Retention
	Logger    *slog.Logger
	// DataDir is the data dir ("" means the parent of DatasetDir): a run
	// starts only while its file system has MinFreeSpace bytes free (0: no
	// check).
	DataDir      string
	MinFreeSpace int64
	// RetryInterval is how often writes that failed are tried again while
	// nothing else happens; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// TrainNice is the nice value (1–19) the process runs at while it
	// trains, so the browser showing the run and the rest of the machine
	// come first (see package priority); 0 leaves the priority alone.
	TrainNice int
}

// DefaultRetryInterval is how often unsaved events are tried again.
const DefaultRetryInterval = 2 * time.Second

// Service runs downloads and training and keeps the state viewers see.
// It is a fmnist.RunReader: the store's history plus what the store has yet
// to take (see reads.go). Writing is the service's alone.
type Service struct {
	store         fmnist.RunStore
	datasetDir    string
	ckptDir       string
	retention     fmnist.Retention
	dataDir       string
	minFree       int64
	retryInterval time.Duration
	trainNice     int
	source        string
	downloader    data.Downloader // the template of every download
	log           *slog.Logger
	unsaved       unsaved // guarded by its own lock

	// viewMu makes "persist and publish" one step with respect to readers of
	// the page: the pump holds it for writing, Consistent for reading, so a
	// page rendered from the store and the event id it resumes from agree.
	viewMu sync.RWMutex

	mu          sync.Mutex // guards the fields below
	pub         fmnist.Publisher
	state       fmnist.State
	dataset     *data.Dataset
	downloading bool

	// cancelDownload ends the download in progress; downloadDone is closed
	// when its goroutine has ended. Both are nil when no download is.
	cancelDownload context.CancelFunc
	downloadDone   chan struct{}

	training    bool
	cancelTrain context.CancelFunc
	liveLR      *train.LiveLR // the running run's live learning rate (see ChangeLR)
	dlBox       *fmnist.Mailbox
	trainBox    *fmnist.Mailbox
	trainRun    int64
	// failure is why the current run failed for want of the store, and
	// failureFull whether the disk is full; the trainer's own end cannot
	// change that.
	failure     string
	failureFull bool
	storeErr    error // the write the store refuses, until all are saved
	predictions *fmnist.Predictions
	evaluated   *evaluation
	predictMu   sync.Mutex // one prediction at a time; guards evaluated
	examples    *examples.Finder

	workers     context.Context // parent of downloads and runs; cancelled by Close
	stopWorkers context.CancelFunc
	wake        chan struct{}
	quit        chan struct{}
	workerWG    sync.WaitGroup // downloads and training runs
	wg          sync.WaitGroup // the pump
}

// New opens the service: it marks runs that died with the last process as
// interrupted, loads a dataset prepared earlier and starts the pump.
func New(ctx context.Context, opts Options) (*Service, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Service{
		store:         opts.Store,
		datasetDir:    opts.DatasetDir,
		ckptDir:       opts.CheckpointDir,
		retention:     opts.Retention,
		downloader:    opts.Downloader,
		dataDir:       opts.DataDir,
		minFree:       opts.MinFreeSpace,
		retryInterval: opts.RetryInterval,
		trainNice:     opts.TrainNice,
		source:        opts.DatasetURL,
		log:           logger,
		dlBox:         new(fmnist.Mailbox),
		trainBox:      new(fmnist.Mailbox),
		wake:          make(chan struct{}, 1),
		quit:          make(chan struct{}),
	}
	s.examples = examples.New(s, s.testSet, nil)
	if s.dataDir == "" {
		s.dataDir = filepath.Dir(opts.DatasetDir)
	}
	if s.retryInterval <= 0 {
		s.retryInterval = DefaultRetryInterval
	}
	s.workers, s.stopWorkers = context.WithCancel(context.WithoutCancel(ctx))
	s.state.Dataset.Status = fmnist.StatusIdle
	s.state.Training.Status = fmnist.StatusIdle

	if n, err := s.store.MarkInterrupted(ctx, time.Now()); err != nil {
		return nil, fmt.Errorf("mark interrupted runs: %w", err)
	} else if n > 0 {
		logger.Warn("runs were interrupted by the last shutdown", "runs", n)
	}
	// No run writes checkpoints yet, so any temporary file there is left
	// by a process killed while writing one.
	if removed, err := train.RemoveStaleTemps(s.ckptDir); err != nil {
		return nil, fmt.Errorf("clean the checkpoints folder: %w", err)
	} else if len(removed) > 0 {
		logger.Warn("removed stale temporary checkpoint files left by an interrupted write", "dir", s.ckptDir, "files", removed)
	}
	if err := s.restore(ctx); err != nil {
		return nil, err
	}
	s.warnLowSpace()
	s.wg.Add(1)
	go s.pump()
	return s, nil
}

// restore rebuilds the state from the store and the data dir after a start.
func (s *Service) restore(ctx context.Context) error {
	if data.DatasetReady(s.datasetDir) {
		ds, err := data.LoadDataset(s.datasetDir)
		if err != nil {
			s.log.Warn("prepared dataset does not load; it must be prepared again", "err", err)
		} else {
			s.dataset = ds
			s.state.Dataset = fmnist.DatasetState{Status: fmnist.StatusReady, Train: ds.Train.Count, Test: ds.Test.Count}
		}
	}
	run, ok, err := s.store.LatestRun(ctx)
	if err != nil {
		return fmt.Errorf("read the last run: %w", err)
	}
	if ok {
		s.state.Training = fmnist.TrainingState{
			Status:    run.Status,
			Reason:    run.Reason,
			RunID:     run.ID,
			Config:    run.Config,
			StartedAt: run.StartedAt,
		}
		epochs, err := s.store.EpochResults(ctx, run.ID)
		if err != nil {
			return fmt.Errorf("read the last run's epochs: %w", err)
		}
		if len(epochs) > 0 {
			s.state.Training.LastEpoch = epochs[len(epochs)-1]
		}
	}
	ckpt, ok, err := s.store.LatestCheckpoint(ctx)
	if err != nil {
		return fmt.Errorf("read the last checkpoint: %w", err)
	}
	if ok {
		s.state.HasModel = true
		if ckpt.RunID == s.state.Training.RunID {
			s.state.Training.Checkpoint = ckpt
		}
	}
	return nil
}

// SetPublisher sets where updates go. Call it before serving requests.
func (s *Service) SetPublisher(p fmnist.Publisher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pub = p
}

// State returns a snapshot of the current state.
func (s *Service) State() fmnist.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Consistent runs fn while no update is being persisted or published, so
// what fn reads from the store matches the events published so far.
func (s *Service) Consistent(fn func(fmnist.State) error) error {
	s.viewMu.RLock()
	defer s.viewMu.RUnlock()
	return fn(s.State())
}

// Close stops a running training gracefully (it writes its checkpoint),
// cancels a download, waits for both, and persists their last events and
// any that could not be saved before.
func (s *Service) Close() {
	s.stopWorkers()
	s.workerWG.Wait()
	close(s.quit)
	s.wg.Wait()
	if n := s.unsaved.len(); n > 0 {
		s.mu.Lock()
		err := s.storeErr
		s.mu.Unlock()
		s.log.Error("events could not be saved before shutdown and are lost; a run they end shows as interrupted at the next start",
			"events", n, "err", err)
	}
}

// notify wakes the pump without waiting.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
