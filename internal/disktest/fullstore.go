package disktest

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// FullStore wraps a real RunStore. Between Fill and Free its writes fail
// with an error that wraps syscall.ENOSPC, as a store on a full disk does,
// and store nothing; reads always go through.
type FullStore struct {
	fmnist.RunStore
	full    atomic.Bool
	refused atomic.Int64
}

// Fill makes every write fail from now on.
func (s *FullStore) Fill() { s.full.Store(true) }

// Free lets writes through again.
func (s *FullStore) Free() { s.full.Store(false) }

// Refused counts the writes that failed.
func (s *FullStore) Refused() int64 { return s.refused.Load() }

func (s *FullStore) refuse(what string) error {
	if !s.full.Load() {
		return nil
	}
	s.refused.Add(1)
	return fmt.Errorf("%s: database or disk is full: %w", what, syscall.ENOSPC)
}

func (s *FullStore) CreateRun(ctx context.Context, cfg fmnist.Config, startedAt time.Time) (fmnist.Run, error) {
	if err := s.refuse("create run"); err != nil {
		return fmnist.Run{}, err
	}
	return s.RunStore.CreateRun(ctx, cfg, startedAt)
}

func (s *FullStore) SetRunStatus(ctx context.Context, id int64, status fmnist.Status, reason string, endedAt time.Time) error {
	if err := s.refuse("set run status"); err != nil {
		return err
	}
	return s.RunStore.SetRunStatus(ctx, id, status, reason, endedAt)
}

func (s *FullStore) MarkInterrupted(ctx context.Context, now time.Time) (int64, error) {
	if err := s.refuse("mark interrupted runs"); err != nil {
		return 0, err
	}
	return s.RunStore.MarkInterrupted(ctx, now)
}

func (s *FullStore) AddLossPoints(ctx context.Context, runID int64, points []fmnist.LossPoint) error {
	if err := s.refuse("add loss points"); err != nil {
		return err
	}
	return s.RunStore.AddLossPoints(ctx, runID, points)
}

func (s *FullStore) AddEpochResult(ctx context.Context, runID int64, r fmnist.EpochResult) error {
	if err := s.refuse("add epoch result"); err != nil {
		return err
	}
	return s.RunStore.AddEpochResult(ctx, runID, r)
}

func (s *FullStore) AddCheckpoint(ctx context.Context, runID int64, path string, epoch, batch int, createdAt time.Time) error {
	if err := s.refuse("add checkpoint"); err != nil {
		return err
	}
	return s.RunStore.AddCheckpoint(ctx, runID, path, epoch, batch, createdAt)
}

func (s *FullStore) AddLogs(ctx context.Context, runID int64, entries []fmnist.LogEntry) error {
	if err := s.refuse("add logs"); err != nil {
		return err
	}
	return s.RunStore.AddLogs(ctx, runID, entries)
}

func (s *FullStore) AddWarning(ctx context.Context, runID int64, w fmnist.Warning) error {
	if err := s.refuse("add warning"); err != nil {
		return err
	}
	return s.RunStore.AddWarning(ctx, runID, w)
}

func (s *FullStore) AddEpochAnalysis(ctx context.Context, runID int64, a fmnist.EpochAnalysis) error {
	if err := s.refuse("add epoch analysis"); err != nil {
		return err
	}
	return s.RunStore.AddEpochAnalysis(ctx, runID, a)
}
