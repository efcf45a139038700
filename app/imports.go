package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fmnist/trainer/fmnist"
)

// RunOrigin returns where an imported run was made; ok is false for a run
// trained here. An unknown run gives an ENOTFOUND Error.
func (s *Service) RunOrigin(ctx context.Context, id int64) (o fmnist.RunOrigin, ok bool, err error) {
	return s.store.RunOrigin(ctx, id)
}

// AddImportedRun stores imp as a new run of kind imported. writeModel
// writes the run's checkpoint file at path (named for the new run; file is
// the run's prefix that checkpoint files record). It is all or nothing: if
// writeModel or a write to the store fails, no run and no file remain. A
// full disk gives an ESTORAGE Error.
func (s *Service) AddImportedRun(ctx context.Context, imp fmnist.ImportedRun, writeModel func(path, file string) error) (fmnist.Run, error) {
	// Under s.mu no deletion runs, so the new id's file name is free.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.ckptDir, 0o700); err != nil {
		return fmnist.Run{}, fmt.Errorf("import: %w", err)
	}
	var path string
	run, err := s.store.ImportRun(ctx, imp, func(runID int64) (string, error) {
		path = filepath.Join(s.ckptDir, fmt.Sprintf("%s-e%02d-imported.ckpt", runFilePrefix(runID), imp.CheckpointEpoch))
		return path, writeModel(path, runFilePrefix(runID))
	})
	if err != nil {
		if path != "" {
			if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				s.log.Error("import failed and its checkpoint file could not be removed", "file", path, "err", rmErr)
			}
		}
		if diskFull(err) {
			return fmnist.Run{}, fmnist.Errorf(fmnist.ESTORAGE, "The disk is full: the bundle could not be imported (%s).", s.spaceNote())
		}
		return fmnist.Run{}, fmt.Errorf("import: %w", err)
	}
	s.state.HasModel = true
	return run, nil
}
