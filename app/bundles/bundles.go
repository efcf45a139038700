// Package bundles takes runs out of the app and back in: it exports a
// run's model (a reproducible .fmnist bundle, ONNX, safetensors), imports
// a bundle as a run of kind imported, and reproduces a run from its config
// and seed. It works through the app service (App) and knows nothing of
// HTTP; handlers/models serves it.
package bundles

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/fmnist/trainer/fmnist"
)

// App is what the bundle service needs of the app service (*app.Service):
// a run's history, where an imported run came from, storing an imported run
// whole, and starting a run.
type App interface {
	Run(ctx context.Context, id int64) (fmnist.Run, error)
	LossPoints(ctx context.Context, runID int64) ([]fmnist.LossPoint, error)
	EpochResults(ctx context.Context, runID int64) ([]fmnist.EpochResult, error)
	Checkpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error)
	EpochAnalyses(ctx context.Context, runID int64) ([]fmnist.EpochAnalysis, error)
	RunOrigin(ctx context.Context, id int64) (o fmnist.RunOrigin, ok bool, err error)
	// AddImportedRun stores imp, all or nothing, with its checkpoint file
	// written by writeModel at path (file: the run's checkpoint prefix).
	AddImportedRun(ctx context.Context, imp fmnist.ImportedRun, writeModel func(path, file string) error) (fmnist.Run, error)
	State() fmnist.State
	// StartTrainingNoted starts a run with note as its first log line.
	StartTrainingNoted(ctx context.Context, cfg fmnist.Config, note string) (int64, error)
}

// Options configure a Service.
type Options struct {
	DatasetDir string // the prepared dataset, whose SHA-256 bundles record
	Logger     *slog.Logger
}

// Service exports, imports and reproduces runs.
type Service struct {
	app        App
	datasetDir string
	log        *slog.Logger
}

// New returns the bundle service of app.
func New(app App, opts Options) *Service {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{app: app, datasetDir: opts.DatasetDir, log: logger}
}

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
