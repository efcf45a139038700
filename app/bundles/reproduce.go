package bundles

import (
	"context"
	"fmt"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// Reproduction is what Reproduce started.
type Reproduction struct {
	RunID   int64
	Config  fmnist.Config
	Warning string // e.g. a kernel path other than the original's; "" if none
}

// Reproduce starts a new run with run runID's exact config and seed. It
// first checks that the dataset here is the one the run trained on (by the
// SHA-256 its bundle recorded; ECONFLICT if not), and warns when this
// process's kernel path differs from the original's: only on the same path
// are the weights bit-identical.
func (s *Service) Reproduce(ctx context.Context, runID int64) (Reproduction, error) {
	run, err := s.app.Run(ctx, runID)
	if err != nil {
		return Reproduction{}, err
	}
	origin, imported, err := s.app.RunOrigin(ctx, runID)
	if err != nil {
		return Reproduction{}, err
	}
	rep := Reproduction{Config: run.Config}
	if imported {
		if s.app.State().Dataset.Status != fmnist.StatusReady {
			return Reproduction{}, fmnist.ErrDatasetNotReady
		}
		here, err := data.DatasetSHA256(s.datasetDir)
		if err != nil {
			return Reproduction{}, err
		}
		for _, name := range bundle.DatasetFiles {
			if here[name] != origin.DatasetSHA256[name] {
				return Reproduction{}, fmnist.Errorf(fmnist.ECONFLICT,
					"Run %d cannot be reproduced here: %s differs from the file it trained on (SHA-256 %.12s…, here %.12s…).",
					runID, name, origin.DatasetSHA256[name], here[name])
			}
		}
		if k := nn.KernelPath(); origin.KernelPath != k {
			rep.Warning = fmt.Sprintf("Run %d trained on the %s kernel path and this one is %s: the result will be close but not bit-identical.",
				runID, origin.KernelPath, k)
		}
	}
	note := fmt.Sprintf("This run reproduces run %d (same config and seed %d)", runID, run.Config.Seed)
	if rep.Warning != "" {
		note += ". " + rep.Warning
	}
	if rep.RunID, err = s.app.StartTrainingNoted(ctx, run.Config, note); err != nil {
		return Reproduction{}, err
	}
	return rep, nil
}
