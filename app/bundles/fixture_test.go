package bundles_test

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
	"github.com/fmnist/trainer/store"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	goleak.VerifyTestMain(m)
}

// fixture is the app on a real SQLite file and a prepared synthetic
// dataset, with the bundle service on it.
type fixture struct {
	db      *store.DB
	svc     *app.Service
	bundles *bundles.Service
	ckptDir string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	source := filepath.Join(t.TempDir(), "source")
	datatest.WriteDataset(t, source, 512, 256, 7)
	layout := fmnist.Layout{Dir: filepath.Join(t.TempDir(), "data")}
	if err := data.PrepareDataset(ctx, layout.Dataset(), source, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, layout.Database())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	svc, err := app.New(ctx, app.Options{Store: db, DatasetDir: layout.Dataset(), CheckpointDir: layout.Checkpoints(),
		DatasetURL: source, Logger: logger})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		db.Close()
	})
	return &fixture{db: db, svc: svc, ckptDir: layout.Checkpoints(),
		bundles: bundles.New(svc, bundles.Options{DatasetDir: layout.Dataset(), Logger: logger})}
}

var smallRun = fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.002, Seed: 11, TrainLimit: 256}

// smallPresetRun is smallRun with the network and recipe of a preset.
func smallPresetRun(t *testing.T, preset string) fmnist.Config {
	cfg, ok := fmnist.Preset(preset)
	if !ok {
		t.Fatalf("no preset %q", preset)
	}
	cfg.Epochs, cfg.BatchSize, cfg.LR, cfg.Seed, cfg.TrainLimit = smallRun.Epochs, smallRun.BatchSize, smallRun.LR, smallRun.Seed, smallRun.TrainLimit
	return cfg
}

func waitEnded(t *testing.T, svc *app.Service, id int64) fmnist.TrainingState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := svc.State().Training
		if st.RunID == id && !st.Running() {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d did not end; state: %+v", id, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// trainedRun trains a short run to its end and returns its id.
func (f *fixture) trainedRun(t *testing.T, cfg fmnist.Config) int64 {
	t.Helper()
	id, err := f.svc.StartTraining(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitEnded(t, f.svc, id); st.Status != fmnist.StatusFinished {
		t.Fatalf("run %d ended as %s: %s", id, st.Status, st.Reason)
	}
	return id
}

func (f *fixture) export(t *testing.T, id int64, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.bundles.Export(context.Background(), id, format, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exportDeleteImport exports run id as a bundle, deletes the run and
// imports the bundle: the bundle and the imported run.
func (f *fixture) exportDeleteImport(t *testing.T, id int64) ([]byte, fmnist.Run) {
	t.Helper()
	data := f.export(t, id, bundles.FormatBundle)
	if err := f.svc.DeleteRun(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	run, err := f.bundles.Import(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return data, run
}

// readBundle reads bundle data made from a run of cfg.
func readBundle(t *testing.T, data []byte, cfg fmnist.Config) bundle.Bundle {
	t.Helper()
	spec := train.NetworkSpec(cfg)
	net, err := nn.NewNetworkSpec(0, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	b, err := bundle.Read(data, bundle.Fixed(spec.Architecture(), export.SpecsOf(net.Params())))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bitsOf(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}
