package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// Export formats of a run's model.
const (
	FormatBundle      = "bundle"
	FormatONNX        = "onnx"
	FormatSafetensors = "safetensors"
)

// ExportFormats are the formats Export writes, and the file name ending of
// each.
var ExportFormats = map[string]string{FormatBundle: bundle.Ext, FormatONNX: ".onnx", FormatSafetensors: ".safetensors"}

// AppVersion is the app's version from the build: the module version and
// the VCS revision when the build recorded them.
func AppVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, st := range info.Settings {
		if st.Key == "vcs.revision" {
			v += "+" + st.Value
		}
	}
	return v
}

// ExportFileName is the name a download of run runID in format gets.
func ExportFileName(runID int64, format string) string {
	return fmt.Sprintf("run-%d%s", runID, ExportFormats[format])
}

// Export writes run runID's newest model in format (FormatBundle,
// FormatONNX or FormatSafetensors) to w. The run must have ended and have a
// checkpoint; an unknown run gives ENOTFOUND, an unknown format EINVALID.
// Nothing is written to w unless the whole file could be made.
func (s *Service) Export(ctx context.Context, runID int64, format string, w io.Writer) error {
	if _, ok := ExportFormats[format]; !ok {
		return fmnist.FieldError("format", fmt.Sprintf("%q is not one of bundle, onnx, safetensors", format))
	}
	b, err := s.bundleOf(ctx, runID)
	if err != nil {
		return err
	}
	var data []byte
	switch format {
	case FormatBundle:
		return bundle.Write(w, b)
	case FormatONNX:
		arch := export.ArchitectureOf(train.NetworkSpec(b.Manifest.Config))
		data, err = export.EncodeONNX(arch, b.Weights, export.ONNXMeta{ClassNames: fmnist.ClassNames[:], AppVersion: AppVersion(), RunID: runID})
		if err != nil {
			return fmt.Errorf("export run %d: %w", runID, err)
		}
	case FormatSafetensors:
		data, err = export.EncodeSafetensors(b.Weights, map[string]string{"architecture": b.Manifest.Architecture, "run_id": fmt.Sprint(runID), "format": "pt"})
		if err != nil {
			return fmt.Errorf("export run %d: %w", runID, err)
		}
	}
	_, err = w.Write(data)
	return err
}

// bundleOf gathers run runID's bundle: its newest checkpoint, history and
// where it was made.
func (s *Service) bundleOf(ctx context.Context, runID int64) (bundle.Bundle, error) {
	run, err := s.Run(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, err
	}
	if !run.Status.Ended() {
		return bundle.Bundle{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d is %s; export it once it has ended.", runID, run.Status.Label())
	}
	cks, err := s.store.Checkpoints(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	if len(cks) == 0 {
		return bundle.Bundle{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d has no saved model to export.", runID)
	}
	ck, err := train.ReadCheckpoint(cks[len(cks)-1].Path)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	if err := ck.Resumable(); err != nil {
		return bundle.Bundle{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d cannot be bundled: %v", runID, err)
	}
	loss, err := s.LossPoints(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	epochs, err := s.EpochResults(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	origin, imported, err := s.store.RunOrigin(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, err
	}
	if !imported {
		// A run trained here: this process's kernel path, this data dir's files.
		origin = fmnist.RunOrigin{AppVersion: AppVersion(), KernelPath: nn.KernelPath(), Preset: "default"}
		if origin.DatasetSHA256, err = s.datasetHashes(); err != nil {
			return bundle.Bundle{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d cannot be bundled without the dataset it trained on: %v", runID, err)
		}
	}
	o := ck.Adam
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Format: bundle.FormatVersion, AppVersion: AppVersion(), RunID: runID, Status: run.Status, Reason: run.Reason,
			StartedAt: run.StartedAt.UTC(), EndedAt: run.EndedAt.UTC(), Config: run.Config, Seed: run.Config.Seed, Preset: origin.Preset,
			Architecture: train.NetworkSpec(run.Config).Architecture(), KernelPath: origin.KernelPath, DatasetSHA256: origin.DatasetSHA256,
			Model: bundle.ModelState{Epoch: ck.Meta.Epoch, Batch: ck.Meta.Batch, TestAccuracy: ck.Meta.TestAccuracy, SavedAt: ck.Meta.SavedAt.UTC(),
				Position: *ck.Meta.Position, Optimizer: bundle.Optimizer{Name: cmp.Or(o.Optimizer, nn.OptimizerAdam), Step: o.Step, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}}},
		Weights: ck.Params, Adam: *ck.Adam, Loss: loss, Epochs: epochs,
	}
	analyses, err := s.EpochAnalyses(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: confusion matrix: %w", runID, err)
	}
	if n := len(analyses); n > 0 {
		last := analyses[n-1].Confusion // the last epoch's
		b.Confusion = make([][]int, len(last))
		for i := range last {
			b.Confusion[i] = last[i][:]
		}
	}
	return b, nil
}

// datasetHashes is the SHA-256 of each of the four dataset files.
func (s *Service) datasetHashes() (map[string]string, error) {
	sums := make(map[string]string, len(bundle.DatasetFiles))
	for _, name := range bundle.DatasetFiles {
		f, err := os.Open(filepath.Join(s.datasetDir, name))
		if err != nil {
			return nil, fmt.Errorf("hash the dataset: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("hash the dataset: %w", err)
		}
		sums[name] = hex.EncodeToString(h.Sum(nil))
	}
	return sums, nil
}

// Import reads a bundle and stores it as a new run of kind imported, with
// its curve, epoch results, config and model; it returns the new run. A
// file that is not a sound bundle gives one EINVALID error saying why, and
// leaves nothing behind: no run, no file.
func (s *Service) Import(ctx context.Context, data []byte) (fmnist.Run, error) {
	b, err := bundle.Read(data, networkOf)
	if err != nil {
		return fmnist.Run{}, fmnist.FieldError("bundle", "This file cannot be imported: "+err.Error()+".")
	}
	m := b.Manifest
	cfg := m.Config
	meta := train.CheckpointMeta{RunID: "", Epoch: m.Model.Epoch, Batch: m.Model.Batch, TestAccuracy: m.Model.TestAccuracy,
		SavedAt: m.Model.SavedAt, Config: &cfg, Position: &m.Model.Position}
	imp := fmnist.ImportedRun{Config: cfg, Status: m.Status, Reason: m.Reason, StartedAt: m.StartedAt, EndedAt: m.EndedAt,
		Origin: fmnist.RunOrigin{AppVersion: m.AppVersion, KernelPath: m.KernelPath, DatasetSHA256: m.DatasetSHA256, SourceRunID: m.RunID, Preset: m.Preset},
		Loss:   b.Loss, Epochs: b.Epochs, CheckpointEpoch: m.Model.Epoch, CheckpointBatch: m.Model.Batch, CheckpointAt: m.Model.SavedAt}

	// Under s.mu no deletion runs, so the new id's file name is free.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.ckptDir, 0o700); err != nil {
		return fmnist.Run{}, fmt.Errorf("import: %w", err)
	}
	var written string
	run, err := s.store.ImportRun(ctx, imp, func(runID int64) (string, error) {
		path := filepath.Join(s.ckptDir, fmt.Sprintf("%s-e%02d-imported.ckpt", runFilePrefix(runID), m.Model.Epoch))
		meta.RunID = runFilePrefix(runID)
		if err := train.WriteCheckpoint(path, b.Weights, &b.Adam, meta); err != nil {
			return "", err
		}
		written = path
		return path, nil
	})
	if err != nil {
		if written != "" {
			if rmErr := os.Remove(written); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				s.log.Error("import failed and its checkpoint file could not be removed", "file", written, "err", rmErr)
			}
		}
		if diskFull(err) {
			return fmnist.Run{}, fmnist.Errorf(fmnist.ESTORAGE, "The disk is full: the bundle could not be imported (%s).", s.spaceNote())
		}
		return fmnist.Run{}, fmt.Errorf("import: %w", err)
	}
	s.state.HasModel = true
	s.log.Info("run imported", "run", run.ID, "from_run", m.RunID, "app_version", m.AppVersion)
	return run, nil
}

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
	run, err := s.Run(ctx, runID)
	if err != nil {
		return Reproduction{}, err
	}
	origin, imported, err := s.store.RunOrigin(ctx, runID)
	if err != nil {
		return Reproduction{}, err
	}
	rep := Reproduction{Config: run.Config}
	if imported {
		s.mu.Lock()
		ready := s.dataset != nil
		s.mu.Unlock()
		if !ready {
			return Reproduction{}, fmnist.ErrDatasetNotReady
		}
		here, err := s.datasetHashes()
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
	id, err := s.StartTraining(ctx, run.Config)
	if err != nil {
		return Reproduction{}, err
	}
	rep.RunID = id
	note := fmt.Sprintf("Run %d reproduces run %d (same config and seed %d)", id, runID, run.Config.Seed)
	if rep.Warning != "" {
		note += ". " + rep.Warning
	}
	s.trainBox.Push(fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelInfo, Message: note})
	s.notify()
	return rep, nil
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
