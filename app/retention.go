package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"

	"github.com/fmnist/trainer/fmnist"
)

// pruneCheckpoints deletes the checkpoints of run runID that the retention
// setting does not keep. The row goes first, then the file, so the history
// never lists a missing file; a file whose removal fails is only logged.
// The pump calls it after each new checkpoint.
func (s *Service) pruneCheckpoints(ctx context.Context, runID int64) {
	if s.retention.Last <= 0 {
		return
	}
	run, err := s.store.Run(ctx, runID)
	if err != nil {
		s.log.Warn("checkpoint retention", "run", runID, "err", err)
		return
	}
	cks, err := s.store.Checkpoints(ctx, runID)
	if err != nil {
		s.log.Warn("checkpoint retention", "run", runID, "err", err)
		return
	}
	drop := s.retention.Prune(run.Config.Epochs, cks)
	if len(drop) == 0 {
		return
	}
	// A file is deleted only when no kept row names it.
	kept := map[string]bool{}
	for _, c := range cks {
		if !slices.ContainsFunc(drop, func(d fmnist.Checkpoint) bool { return d.ID == c.ID }) {
			kept[c.Path] = true
		}
	}
	for _, c := range drop {
		if err := s.store.DeleteCheckpoint(ctx, c.ID); err != nil {
			s.log.Warn("checkpoint retention", "run", runID, "err", err)
			continue
		}
		if kept[c.Path] {
			continue
		}
		if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("could not delete a pruned checkpoint file", "run", runID, "err", err)
			continue
		}
		s.log.Debug("checkpoint pruned", "run", runID, "epoch", c.Epoch, "batch", c.Batch, "path", c.Path)
	}
}
