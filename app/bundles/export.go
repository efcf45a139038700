package bundles

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
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
	var out []byte
	switch format {
	case FormatBundle:
		return bundle.Write(w, b)
	case FormatONNX:
		arch := export.ArchitectureOf(train.NetworkSpec(b.Manifest.Config))
		arch.FlipTTA = b.Manifest.Config.TTA // as the app predicts for the run
		out, err = export.EncodeONNX(arch, b.Weights, export.ONNXMeta{ClassNames: fmnist.ClassNames[:], AppVersion: AppVersion(), RunID: runID})
	case FormatSafetensors:
		out, err = export.EncodeSafetensors(b.Weights, map[string]string{"architecture": b.Manifest.Architecture, "run_id": fmt.Sprint(runID), "format": "pt"})
	}
	if err != nil {
		return fmt.Errorf("export run %d: %w", runID, err)
	}
	_, err = w.Write(out)
	return err
}

// bundleOf gathers run runID's bundle: its newest checkpoint, history and
// where it was made.
func (s *Service) bundleOf(ctx context.Context, runID int64) (bundle.Bundle, error) {
	run, err := s.app.Run(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, err
	}
	if !run.Status.Ended() {
		return bundle.Bundle{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d is %s; export it once it has ended.", runID, run.Status.Label())
	}
	cks, err := s.app.Checkpoints(ctx, runID)
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
	loss, err := s.app.LossPoints(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	epochs, err := s.app.EpochResults(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: %w", runID, err)
	}
	origin, imported, err := s.app.RunOrigin(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, err
	}
	if !imported {
		// A run trained here: this process's kernel path, this data dir's files.
		origin = fmnist.RunOrigin{AppVersion: AppVersion(), KernelPath: nn.KernelPath(), Preset: run.Config.Recipe.Filled().Preset}
		if origin.DatasetSHA256, err = data.DatasetSHA256(s.datasetDir); err != nil {
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
	analyses, err := s.app.EpochAnalyses(ctx, runID)
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("export run %d: confusion matrix: %w", runID, err)
	}
	// The matrix goes with the last epoch result; an import files it there.
	if n, m := len(analyses), len(epochs); n > 0 && m > 0 && analyses[n-1].Epoch == epochs[m-1].Epoch {
		last := analyses[n-1].Confusion
		b.Confusion = make([][]int, len(last))
		for i := range last {
			b.Confusion[i] = last[i][:]
		}
	}
	return b, nil
}
