package app

import (
	"context"
	"slices"

	"github.com/fmnist/trainer/fmnist"
)

// EpochAnalyses returns run runID's analyses, oldest epoch first, with those
// the store has yet to take. An unknown run gives an ENOTFOUND Error.
func (s *Service) EpochAnalyses(ctx context.Context, runID int64) (out []fmnist.EpochAnalysis, err error) {
	if _, err := s.Run(ctx, runID); err != nil {
		return nil, err
	}
	err = s.unsaved.reading(func(pending []write) error {
		if out, err = s.store.EpochAnalyses(ctx, runID); err != nil {
			return err
		}
		for _, w := range pending {
			if w, ok := w.(analysisWrite); ok && w.runID == runID {
				out = slices.DeleteFunc(out, func(a fmnist.EpochAnalysis) bool { return a.Epoch == w.analysis.Epoch })
				out = append(out, w.analysis)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b fmnist.EpochAnalysis) int { return a.Epoch - b.Epoch })
	return out, err
}

// Warnings returns run runID's training-health warnings, oldest first, with
// those the store has yet to take. An unknown run gives an ENOTFOUND Error.
func (s *Service) Warnings(ctx context.Context, runID int64) (out []fmnist.Warning, err error) {
	if _, err := s.Run(ctx, runID); err != nil {
		return nil, err
	}
	err = s.unsaved.reading(func(pending []write) error {
		if out, err = s.store.Warnings(ctx, runID); err != nil {
			return err
		}
		for _, w := range pending {
			if w, ok := w.(warningWrite); ok && w.runID == runID {
				out = append(out, w.warning)
			}
		}
		return nil
	})
	return out, err
}
