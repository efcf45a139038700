package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/ml/train"
)

// syntheticSource writes a small learnable dataset to serve as --dataset-url.
func syntheticSource(t *testing.T, nTrain, nTest int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "source")
	datatest.WriteDataset(t, src, nTrain, nTest, 11)
	return src
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestPrepareFromFolder(t *testing.T) {
	src := syntheticSource(t, 50, 20)
	dataDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runPrepare(context.Background(), []string{"--data-dir", dataDir, "--dataset-url", src}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("prepare exited %d; stderr:\n%s", code, stderr.String())
	}
	dir := fmnist.Layout{Dir: dataDir}.Dataset()
	if !data.DatasetReady(dir) {
		t.Fatalf("dataset not ready in %s after prepare; stdout:\n%s", dir, stdout.String())
	}
	if !strings.Contains(stdout.String(), "ready in "+dir) {
		t.Errorf("stdout %q does not say where the dataset is", stdout.String())
	}

	stdout.Reset()
	if code := runPrepare(context.Background(), []string{"--data-dir", dataDir}, &stdout, &stderr); code != 0 {
		t.Fatalf("second prepare exited %d", code)
	}
	if !strings.Contains(stdout.String(), "already prepared") {
		t.Errorf("second prepare said %q, want that it is already prepared", stdout.String())
	}
}

func TestPrepareFromEnvironment(t *testing.T) {
	src := syntheticSource(t, 30, 10)
	dataDir := t.TempDir()
	t.Setenv("FMNIST_DATA_DIR", dataDir)
	t.Setenv("FMNIST_DATASET_URL", src)
	var stdout, stderr bytes.Buffer
	if code := runPrepare(context.Background(), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("prepare exited %d; stderr:\n%s", code, stderr.String())
	}
	if !data.DatasetReady(fmnist.Layout{Dir: dataDir}.Dataset()) {
		t.Error("the environment's data dir and source were not used")
	}
}

func TestPrepareFailureIsOneLine(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runPrepare(context.Background(), []string{"--data-dir", t.TempDir(), "--dataset-url", filepath.Join(t.TempDir(), "missing")}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "fmnist prepare: ") {
		t.Errorf("stderr %q, want one line starting with \"fmnist prepare: \"", stderr.String())
	}
}

// TestServeDataDirThatIsAFile refuses a data dir that is a regular file in
// one line (exit 2) that names it once.
func TestServeDataDirThatIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runServe(context.Background(), []string{"--addr", "127.0.0.1:0", "--data-dir", file}, &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "data-dir") || strings.Count(msg, file) != 1 {
		t.Errorf("stderr %q, want one line about data-dir naming %s once", msg, file)
	}
}

func TestTrainJSON(t *testing.T) {
	src := syntheticSource(t, 300, 100)
	dataDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--data-dir", dataDir, "--dataset-url", src, "--epochs", "2", "--batch-size", "16", "--lr", "0.002", "--seed", "3", "--json"}
	code := runTrain(context.Background(), args, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("train exited %d; stderr:\n%s", code, stderr.String())
	}
	var summary map[string]any // stdout is the summary alone, for jq
	if err := json.Unmarshal(stdout.Bytes(), &summary); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	if summary["epochs"] != 2.0 || summary["stopped"] != false {
		t.Errorf("summary %v, want 2 epochs, not stopped", summary)
	}
	acc, _ := summary["test_accuracy"].(float64)
	if acc < 0.8 || acc > 1 {
		t.Errorf("test_accuracy %v, want a fraction above 0.8 on a learnable set", summary["test_accuracy"])
	}
	for _, key := range []string{"images_per_sec", "seconds"} {
		if v, _ := summary[key].(float64); v <= 0 {
			t.Errorf("%s = %v, want > 0", key, summary[key])
		}
	}
	ckpt, _ := summary["checkpoint"].(string)
	if want := (fmnist.Layout{Dir: dataDir}).Checkpoints(); filepath.Dir(ckpt) != want {
		t.Errorf("checkpoint %q, want it under %s", ckpt, want)
	}
	if m, err := train.LoadModel(ckpt); err != nil {
		t.Errorf("checkpoint does not load: %v", err)
	} else {
		m.Close()
	}
	// One result line per epoch and the log, on stderr with --json.
	for _, want := range []string{"Epoch 1: test accuracy", "Epoch 2: test accuracy", "Finished 2 epochs"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "Training started") {
		t.Errorf("stderr lacks the training log:\n%s", stderr.String())
	}
	if !data.DatasetReady(fmnist.Layout{Dir: dataDir}.Dataset()) {
		t.Error("train did not leave a prepared dataset")
	}
}

// TestTrainRecipeJSON trains a small bn recipe with every recipe flag and
// reads the best epoch from the summary.
func TestTrainRecipeJSON(t *testing.T) {
	src := syntheticSource(t, 300, 100)
	var stdout, stderr bytes.Buffer
	args := []string{"--data-dir", t.TempDir(), "--dataset-url", src, "--preset", "bn", "--epochs", "3", "--batch-size", "16",
		"--conv1", "8", "--conv2", "8", "--dense", "16", "--dropout", "0.1", "--schedule", "step:0.5:1", "--optimizer", "adamw",
		"--weight-decay", "0.001", "--augment", "crop:1,flip,erase:0.2", "--label-smoothing", "0.1", "--tta", "--val", "60",
		"--time-limit", "10m", "--json"}
	if code := runTrain(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("train exited %d; stderr:\n%s", code, stderr.String())
	}
	var summary struct {
		Epochs          int           `json:"epochs"`
		BestEpoch       int           `json:"best_epoch"`
		BestAccuracy    float64       `json:"best_test_accuracy"`
		BestValAccuracy float64       `json:"best_val_accuracy"`
		TrainImages     int           `json:"train_images"`
		KernelPath      string        `json:"kernel_path"`
		Config          fmnist.Config `json:"config"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &summary); err != nil {
		t.Fatalf("last line of stdout is not JSON: %v\n%s", err, stdout.String())
	}
	c := summary.Config
	if c.Preset != "bn" || !c.BatchNorm || c.Conv1 != 8 || c.Dense != 16 || c.Schedule != "step" || c.StepFactor != 0.5 ||
		c.Optimizer != "adamw" || c.Crop != 1 || !c.Flip || c.Erase != 0.2 || !c.TTA || c.Val != 60 || c.TimeLimit != 600 {
		t.Errorf("config %+v does not carry the flags", c)
	}
	if summary.Epochs != 3 || summary.BestEpoch < 1 || summary.BestEpoch > 3 || !(summary.BestValAccuracy > 0) || !(summary.BestAccuracy > 0) ||
		summary.TrainImages != 240 || summary.KernelPath == "" {
		t.Errorf("summary %+v; want 3 epochs, a best epoch with its accuracies, 240 training images and the kernel path", summary)
	}
	for _, want := range []string{"Recipe bn: conv 8/8, dense 16, batch norm, dropout 0.1; step:0.5:1 schedule; adamw weight decay 0.001",
		"Epoch 1: validation accuracy", "Best epoch"} {
		if !strings.Contains(stderr.String(), want) { // with --json, the lines for people
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestTrainKeepsTheLastCheckpointsOfALongRun trains 25 one-batch epochs
// headless: the checkpoints folder keeps the last five and the best, each
// holding the weights its name says.
func TestTrainKeepsTheLastCheckpointsOfALongRun(t *testing.T) {
	src := syntheticSource(t, 100, 40)
	dataDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--data-dir", dataDir, "--dataset-url", src, "--epochs", "25", "--batch-size", "16", "--train-limit", "16", "--json"}
	if code := runTrain(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("train exited %d; stderr:\n%s", code, stderr.String())
	}
	var summary trainSummary
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &summary); err != nil {
		t.Fatalf("last line of stdout is not JSON: %v\n%s", err, stdout.String())
	}
	dir := fmnist.Layout{Dir: dataDir}.Checkpoints()
	files, err := filepath.Glob(filepath.Join(dir, "*.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 || len(files) > 6 || !slices.Contains(files, summary.Checkpoint) {
		t.Errorf("checkpoints folder holds %v; want the last five and the best, with %s", files, summary.Checkpoint)
	}
	for _, f := range files {
		ck, err := train.ReadCheckpoint(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if want := fmt.Sprintf("-e%02d.ckpt", ck.Meta.Epoch); !strings.HasSuffix(f, want) {
			t.Errorf("%s holds epoch %d", f, ck.Meta.Epoch)
		}
	}
}

func TestKeepCheckpointsFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want fmnist.Retention
	}{
		{nil, fmnist.DefaultRetention()},
		{[]string{"--keep-checkpoints", "2"}, fmnist.Retention{AllUpTo: 20, Last: 2}},
		{[]string{"--keep-checkpoints", "0"}, fmnist.Retention{}},
	} {
		o, err := parseServeFlags(tt.args, io.Discard)
		if got := retention(o.keepCheckpoints); err != nil || got != tt.want {
			t.Errorf("serve %v: retention %+v (%v), want %+v", tt.args, got, err, tt.want)
		}
	}
	if _, err := parseServeFlags([]string{"--keep-checkpoints", "-1"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--keep-checkpoints") {
		t.Errorf("serve --keep-checkpoints -1: %v, want an error naming the flag", err)
	}
}

// A stop mid-run keeps a checkpoint (see ml's trainer tests); one before
// any training writes none, and still exits as interrupted.
func TestTrainInterruptedBeforeTheFirstBatch(t *testing.T) {
	src := syntheticSource(t, 100, 20)
	dataDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runPrepare(context.Background(), []string{"--data-dir", dataDir, "--dataset-url", src}, &stdout, &stderr); code != 0 {
		t.Fatalf("prepare exited %d: %s", code, stderr.String())
	}
	// As if Ctrl-C came before the first batch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stdout.Reset()
	stderr.Reset()
	code := runTrain(ctx, []string{"--data-dir", dataDir, "--batch-size", "10", "--json"}, &stdout, &stderr)
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr.String())
	}
	var summary struct {
		Stopped    bool   `json:"stopped"`
		Checkpoint string `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &summary); err != nil {
		t.Fatalf("last line of stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if !summary.Stopped {
		t.Error("summary does not say the run stopped")
	}
	if summary.Checkpoint != "" {
		t.Errorf("checkpoint %q written though nothing was trained", summary.Checkpoint)
	}
}

func TestBadFlagsExitTwoWithOneLine(t *testing.T) {
	src := syntheticSource(t, 100, 20)
	prepared := t.TempDir()
	var out, errOut bytes.Buffer
	if code := runPrepare(context.Background(), []string{"--data-dir", prepared, "--dataset-url", src}, &out, &errOut); code != 0 {
		t.Fatalf("prepare exited %d: %s", code, errOut.String())
	}
	tests := []struct {
		name string
		run  func(ctx context.Context, args []string, stdout, stderr io.Writer) int
		args []string
		want string
	}{
		{"zero epochs", runTrain, []string{"--epochs", "0"}, "--epochs=0: must be between 1 and 1000"},
		{"negative lr", runTrain, []string{"--lr", "-0.1"}, "--lr=-0.1: must be greater than 0"},
		{"every bad flag at once", runTrain, []string{"--epochs", "0", "--lr", "20"}, "--epochs=0: must be between 1 and 1000; --lr=20: must be greater than 0 and at most 10"},
		{"epochs not a number", runTrain, []string{"--epochs", "three"}, "invalid value \"three\" for flag -epochs"},
		{"unknown flag", runTrain, []string{"--speed", "9"}, "flag provided but not defined: -speed"},
		{"stray argument", runTrain, []string{"now"}, "unexpected argument \"now\""},
		{"batch above the limit", runTrain, []string{"--batch-size", "5000"}, "--batch-size=5000: must be between 1 and 4096"},
		{"batch larger than the set", runTrain, []string{"--data-dir", prepared, "--batch-size", "101"}, "--batch-size=101: is larger than the 100 training images in use"},
		{"limit larger than the set", runTrain, []string{"--data-dir", prepared, "--train-limit", "101"}, "--train-limit=101: is larger than the training set (100 images)"},
		{"unknown preset", runTrain, []string{"--preset", "fastest"}, "--preset=fastest: must be one of baseline, bn, best"},
		{"unknown schedule", runTrain, []string{"--schedule", "linear"}, "invalid value \"linear\" for flag -schedule"},
		{"step factor above 1", runTrain, []string{"--schedule", "step:2:1"}, "--schedule=step:2:1: must be greater than 0 and at most 1"},
		{"unknown optimizer", runTrain, []string{"--preset=bn", "--optimizer", "lion"}, "--optimizer=lion: must be one of"},
		{"crop too wide", runTrain, []string{"--augment", "crop:5,flip"}, "--augment=crop:5,flip: must be 0 (off) or a padding of 1 to 4 pixels"},
		{"unknown augmentation", runTrain, []string{"--augment", "rotate"}, "invalid value \"rotate\" for flag -augment"},
		{"label smoothing too high", runTrain, []string{"--label-smoothing", "0.4"}, "--label-smoothing=0.4: must be between 0 and 0.3"},
		{"time limit not a duration", runTrain, []string{"--time-limit", "soon"}, "invalid value \"soon\" for flag -time-limit"},
		{"validation split as large as the set", runTrain, []string{"--data-dir", prepared, "--val", "100"}, "--val=100: must leave training images"},
		{"negative keep-checkpoints", runTrain, []string{"--keep-checkpoints", "-1"}, "--keep-checkpoints must be 0 (keep all) or more, got -1"},
		{"prepare unknown flag", runPrepare, []string{"--epochs", "3"}, "flag provided but not defined: -epochs"},
		{"train nice above 19", runServe, []string{"--train-nice", "20"}, "--train-nice must be between 0 and 19, got 20"},
		{"negative free space", runServe, []string{"--min-free-mb", "-1"}, "--min-free-mb must be between 0 and 1073741824, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := tt.run(context.Background(), tt.args, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr %q, want one line containing %q", stderr.String(), tt.want)
			}
			if strings.Contains(stdout.String(), "Training") {
				t.Errorf("training started despite the bad flag: %s", stdout.String())
			}
		})
	}
}
