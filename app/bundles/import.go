package bundles

import (
	"context"
	"fmt"
	"time"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// Import reads a bundle and stores it as a new run of kind imported, with
// its curve, epoch results, config, model and the last epoch's confusion
// matrix; it returns the new run. A file that is not a sound bundle gives
// one EINVALID error saying why, and leaves nothing behind: no run, no file.
func (s *Service) Import(ctx context.Context, data []byte) (fmnist.Run, error) {
	b, err := bundle.Read(data, networkOf)
	if err != nil {
		return fmnist.Run{}, refusal(err)
	}
	m := b.Manifest
	imp := fmnist.ImportedRun{Config: m.Config, Status: m.Status, Reason: m.Reason, StartedAt: m.StartedAt, EndedAt: m.EndedAt,
		Origin: fmnist.RunOrigin{AppVersion: m.AppVersion, KernelPath: m.KernelPath, DatasetSHA256: m.DatasetSHA256, SourceRunID: m.RunID, Preset: m.Preset},
		Loss:   b.Loss, Epochs: b.Epochs, CheckpointEpoch: m.Model.Epoch, CheckpointBatch: m.Model.Batch, CheckpointAt: m.Model.SavedAt,
		Note: fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelInfo, Message: fmt.Sprintf(
			"Imported from a bundle of run %d (app version %s, %s kernel path); the log of its training is not in the bundle.",
			m.RunID, m.AppVersion, m.KernelPath)}}
	if b.Confusion != nil {
		if imp.Analysis, err = lastAnalysis(b); err != nil {
			return fmnist.Run{}, refusal(err)
		}
	}
	cfg := m.Config
	meta := train.CheckpointMeta{Epoch: m.Model.Epoch, Batch: m.Model.Batch, TestAccuracy: m.Model.TestAccuracy,
		SavedAt: m.Model.SavedAt, Config: &cfg, Position: &m.Model.Position}
	run, err := s.app.AddImportedRun(ctx, imp, func(path, file string) error {
		meta.RunID = file
		return train.WriteCheckpoint(path, b.Weights, &b.Adam, meta)
	})
	if err != nil {
		return fmnist.Run{}, err
	}
	s.log.Info("run imported", "run", run.ID, "from_run", m.RunID, "app_version", m.AppVersion)
	return run, nil
}

func refusal(err error) error {
	return fmnist.FieldError("bundle", "This file cannot be imported: "+err.Error()+".")
}

// lastAnalysis is the bundle's confusion matrix as the analysis of its last
// epoch, the one the matrix belongs to.
func lastAnalysis(b bundle.Bundle) (*fmnist.EpochAnalysis, error) {
	if len(b.Epochs) == 0 {
		return nil, fmt.Errorf("%s has a matrix but %s no epoch it could belong to", bundle.FileConfusion, bundle.FileEpochs)
	}
	if len(b.Confusion) != fmnist.NumClasses {
		return nil, fmt.Errorf("%s has %d rows, want %d", bundle.FileConfusion, len(b.Confusion), fmnist.NumClasses)
	}
	a := fmnist.EpochAnalysis{Epoch: b.Epochs[len(b.Epochs)-1].Epoch}
	for i, row := range b.Confusion {
		if len(row) != fmnist.NumClasses {
			return nil, fmt.Errorf("%s row %d has %d counts, want %d", bundle.FileConfusion, i, len(row), fmnist.NumClasses)
		}
		copy(a.Confusion[i][:], row)
	}
	return &a, nil
}

// networkOf is the network a bundle's config builds: its architecture and
// its parameters' names and shapes.
func networkOf(m bundle.Manifest) (string, []export.Spec, error) {
	spec := train.NetworkSpec(m.Config)
	net, err := nn.NewNetworkSpec(0, spec)
	if err != nil {
		return "", nil, fmt.Errorf("config: %w", err)
	}
	defer net.Close()
	return spec.Architecture(), export.SpecsOf(net.Params()), nil
}
