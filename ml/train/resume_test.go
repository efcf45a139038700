package train

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

// finalState reads the weights and Adam state of a run's last checkpoint.
func finalState(t *testing.T, path string) *Checkpoint {
	t.Helper()
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatalf("read the final checkpoint: %v", err)
	}
	return ck
}

// sameBits reports the first float32 that differs in bits between a and b.
func sameBits(a, b [][]float32) (where string, ok bool) {
	if len(a) != len(b) {
		return fmt.Sprintf("%d tensors against %d", len(a), len(b)), false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Sprintf("tensor %d has %d values against %d", i, len(a[i]), len(b[i])), false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return fmt.Sprintf("tensor %d, value %d: %v against %v", i, j, a[i][j], b[i][j]), false
			}
		}
	}
	return "", true
}

func weightsOf(ck *Checkpoint) [][]float32 {
	out := make([][]float32, len(ck.Params))
	for i, p := range ck.Params {
		out[i] = p.Data
	}
	return out
}

// TestResumeReachesTheWeightsOfAnUninterruptedRun stops a run twice in the
// middle of an epoch, continues it each time from its last checkpoint, and
// compares the end, bit for bit, with a run that was never stopped: the
// weights, Adam's moments and step, the loss curve and the epochs' losses.
// The CI runs it on every kernel path (FMNIST_GEMM=avx512|avx2|generic).
func TestResumeReachesTheWeightsOfAnUninterruptedRun(t *testing.T) {
	ds := loadSynthetic(t, 410, 60)
	// 410 images in batches of 30: 14 batches, the last of 20 images, and
	// loss points every batch or so (fewer batches than LossPointsPerEpoch).
	cfg := fmnist.Config{Epochs: 3, BatchSize: 30, LR: 2e-3, Seed: 5}

	var whole fmnist.Mailbox
	want, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "whole", Logger: testLogger(t)}, &whole)
	if err != nil || want.Stopped || want.Epochs != 3 {
		t.Fatalf("uninterrupted run: %+v, %v", want, err)
	}
	wantEv := collect(whole.Drain())

	dir := t.TempDir()
	var got []fmnist.Event
	var from *Checkpoint
	// Stop after 5 batches of epoch 1, then 17 checks later (in epoch 2,
	// past epoch 1's evaluation), then run to the end.
	for leg, stopAfter := range []int{5, 17, -1} {
		opts := Options{CheckpointDir: dir, RunID: "parts", Logger: testLogger(t), From: from}
		var box fmnist.Mailbox
		ctx := newStopAfterChecks(math.MaxInt)
		if stopAfter >= 0 {
			ctx = newStopAfterChecks(stopAfter)
		}
		res, err := Run(ctx, ds, cfg, opts, &box)
		ctx.cancel()
		if err != nil {
			t.Fatalf("leg %d: %v", leg, err)
		}
		ev := collect(box.Drain())
		got = append(got, ev.all...)
		if stopAfter < 0 {
			if res.Stopped || res.Epochs != 3 {
				t.Fatalf("last leg: %+v, want all 3 epochs", res)
			}
			break
		}
		if !res.Stopped {
			t.Fatalf("leg %d did not stop: %+v", leg, res)
		}
		from = finalState(t, res.CheckpointPath)
		if from.Meta.Batch == 0 {
			t.Fatalf("leg %d stopped at an epoch's end (%+v); the test needs a stop mid-epoch", leg, from.Meta)
		}
	}
	t.Logf("kernel path: FMNIST_GEMM=%q", os.Getenv("FMNIST_GEMM"))

	wantCk, gotCk := finalState(t, want.CheckpointPath), finalState(t, filepath.Join(dir, "parts-e03.ckpt"))
	if where, ok := sameBits(weightsOf(wantCk), weightsOf(gotCk)); !ok {
		t.Errorf("weights differ from the uninterrupted run's (%s)", where)
	}
	if where, ok := sameBits(wantCk.Adam.M, gotCk.Adam.M); !ok {
		t.Errorf("Adam first moments differ (%s)", where)
	}
	if where, ok := sameBits(wantCk.Adam.V, gotCk.Adam.V); !ok {
		t.Errorf("Adam second moments differ (%s)", where)
	}
	if wantCk.Adam.Step != gotCk.Adam.Step || gotCk.Adam.Step != 3*14 {
		t.Errorf("Adam step %d, uninterrupted %d, want %d", gotCk.Adam.Step, wantCk.Adam.Step, 3*14)
	}

	// The curve continues where it stopped: the same points, x and y.
	gotEv := collect(got)
	if !slices.Equal(gotEv.lossPoints, wantEv.lossPoints) {
		t.Errorf("loss points of the resumed run\n%v\ndiffer from the uninterrupted run's\n%v", gotEv.lossPoints, wantEv.lossPoints)
	}
	if len(gotEv.epochs) != 3 {
		t.Fatalf("epoch results %+v, want 3", gotEv.epochs)
	}
	for i, e := range gotEv.epochs {
		w := wantEv.epochs[i]
		if e.Epoch != w.Epoch || e.TrainLoss != w.TrainLoss || e.TestLoss != w.TestLoss || e.TestAccuracy != w.TestAccuracy {
			t.Errorf("epoch %d: %+v, uninterrupted %+v", i+1, e, w)
		}
	}
	if n := strings.Count(logText(gotEv.logs), "Training resumed from parts-e0"); n != 2 {
		t.Errorf("%d \"Training resumed\" lines, want 2:\n%s", n, logText(gotEv.logs))
	}
}

// TestResumeRefusesAVersion1Checkpoint: a weights-only file still loads for
// predictions, but a run cannot continue from it, and says why.
func TestResumeRefusesAVersion1Checkpoint(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	net := trainedNetwork(t, ds, 1)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 20, LR: 1e-3, Seed: 1}
	path := filepath.Join(t.TempDir(), "run-1-e01.ckpt")
	file, err := encodeCheckpoint(net.Params(), nil, CheckpointMeta{RunID: "run-1", Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(path)
	if err != nil {
		t.Fatalf("a version-1 checkpoint no longer loads for predictions: %v", err)
	}
	m.Close()
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Version != 1 || ck.Adam != nil {
		t.Errorf("version %d, Adam %v; want 1 and none", ck.Version, ck.Adam != nil)
	}

	var box fmnist.Mailbox
	_, err = Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), From: ck, Logger: testLogger(t)}, &box)
	var fe *fmnist.Error
	if !errors.As(err, &fe) || fe.Code != fmnist.ECONFLICT || !strings.Contains(fe.Message, "predates resumable checkpoints") ||
		!strings.Contains(fe.Message, "run-1-e01.ckpt") {
		t.Fatalf("resume from version 1: %v, want an ECONFLICT naming the file and saying it predates resumable checkpoints", err)
	}
	if ev := collect(box.Drain()); len(ev.progress) != 0 || len(ev.checkpoints) != 0 {
		t.Errorf("a refused resume trained %d batches and wrote %d checkpoints", len(ev.progress), len(ev.checkpoints))
	}
}

// TestCanContinue says which changes a continued run may make: a
// mid-epoch checkpoint keeps the data order; any checkpoint needs epochs left.
func TestCanContinue(t *testing.T) {
	was := fmnist.Config{Epochs: 2, BatchSize: 20, LR: 1e-3, Seed: 1}
	state := nn.AdamState{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	mid := &Checkpoint{Path: "/x/run-1-e01-b0003.ckpt", Version: CheckpointVersion, Adam: &state,
		Meta: CheckpointMeta{Epoch: 1, Batch: 3, Config: &was, Position: &Position{TrainImages: 100}}}
	end := &Checkpoint{Path: "/x/run-1-e01.ckpt", Version: CheckpointVersion, Adam: &state,
		Meta: CheckpointMeta{Epoch: 1, Config: &was, Position: &Position{TrainImages: 100}}}
	with := func(edit func(*fmnist.Config)) fmnist.Config {
		c := was
		edit(&c)
		return c
	}
	tests := []struct {
		name  string
		ck    *Checkpoint
		cfg   fmnist.Config
		field string // "" for no error
	}{
		{"same config", mid, was, ""},
		{"new learning rate", mid, with(func(c *fmnist.Config) { c.LR = 5e-4 }), ""},
		{"more epochs", mid, with(func(c *fmnist.Config) { c.Epochs = 4 }), ""},
		{"the epoch in progress is the last", mid, with(func(c *fmnist.Config) { c.Epochs = 1 }), ""},
		{"other batch size mid-epoch", mid, with(func(c *fmnist.Config) { c.BatchSize = 10 }), fmnist.FieldBatchSize},
		{"other seed mid-epoch", mid, with(func(c *fmnist.Config) { c.Seed = 2 }), fmnist.FieldSeed},
		{"fewer images mid-epoch", mid, with(func(c *fmnist.Config) { c.TrainLimit = 50 }), fmnist.FieldTrainLimit},
		{"other batch size at an epoch's end", end, with(func(c *fmnist.Config) { c.BatchSize = 10; c.Seed = 3 }), ""},
		{"no epochs left", end, with(func(c *fmnist.Config) { c.Epochs = 1 }), fmnist.FieldEpochs},
		{"invalid config", end, with(func(c *fmnist.Config) { c.LR = 0 }), fmnist.FieldLR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ck.CanContinue(tt.cfg, 100)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fmnist.ErrorCode(err) != fmnist.EINVALID || fmnist.ErrorField(err) != tt.field {
				t.Fatalf("error %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

// TestForkFromAnEpochsEndContinuesItsCount: a run continued under a new
// name and learning rate starts at the next epoch, and its curve continues
// the x-axis.
func TestForkFromAnEpochsEndContinuesItsCount(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	cfg := fmnist.Config{Epochs: 1, BatchSize: 20, LR: 1e-3, Seed: 1}
	dir := t.TempDir()
	res, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: dir, RunID: "parent", Logger: testLogger(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	from := finalState(t, res.CheckpointPath)
	fork := fmnist.Config{Epochs: 2, BatchSize: 10, LR: 5e-4, Seed: 1}
	var box fmnist.Mailbox
	res, err = Run(t.Context(), ds, fork, Options{CheckpointDir: dir, RunID: "child", From: from, Logger: testLogger(t)}, &box)
	if err != nil || res.Epochs != 2 {
		t.Fatalf("fork: %+v, %v", res, err)
	}
	ev := collect(box.Drain())
	if len(ev.epochs) != 1 || ev.epochs[0].Epoch != 2 {
		t.Errorf("epoch results %+v, want epoch 2 only", ev.epochs)
	}
	if len(ev.lossPoints) == 0 || ev.lossPoints[0].Epoch <= 1 || ev.lossPoints[len(ev.lossPoints)-1].Epoch != 2 {
		t.Errorf("loss points %v, want x in (1, 2]", ev.lossPoints)
	}
	if ev.progress[0].Epoch != 2 || ev.progress[0].Batch != 1 || ev.progress[0].Batches != 10 {
		t.Errorf("first progress %+v, want epoch 2, batch 1 of 10", ev.progress[0])
	}
	ck := finalState(t, res.CheckpointPath)
	if filepath.Base(res.CheckpointPath) != "child-e02.ckpt" || ck.Adam.Step != 5+10 || ck.Meta.Config.LR != 5e-4 {
		t.Errorf("fork's checkpoint %s: step %d, config %+v", res.CheckpointPath, ck.Adam.Step, ck.Meta.Config)
	}
}
