package train

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
)

// recipeConfigs are small runs of each recipe feature, for the tests below.
func recipeConfigs() map[string]fmnist.Config {
	base := fmnist.Config{Epochs: 2, BatchSize: 30, LR: 2e-3, Seed: 5}
	augmented := base
	augmented.Crop, augmented.Flip, augmented.Erase = 2, true, 0.5
	bn, _ := fmnist.Preset(fmnist.PresetBN)
	bn.Epochs, bn.BatchSize, bn.Seed = 2, 30, 5
	bn.Conv1, bn.Conv2, bn.Dense, bn.Dropout = 8, 16, 32, 0.25
	bn.Optimizer, bn.WeightDecay = fmnist.OptimizerAdamW, 1e-3
	bn.Schedule, bn.Warmup, bn.PeakLR, bn.FinalLR = fmnist.ScheduleOneCycle, 0.3, 5e-3, 1e-5
	bn.Crop, bn.Flip, bn.LabelSmoothing, bn.TTA = 1, true, 0.1, true
	sgd := base
	sgd.Optimizer, sgd.Momentum, sgd.WeightDecay, sgd.LR = fmnist.OptimizerSGD, 0.9, 5e-4, 0.02
	sgd.Schedule, sgd.StepFactor, sgd.StepEvery = fmnist.ScheduleStep, 0.5, 1
	return map[string]fmnist.Config{"baseline": base, "augmented": augmented, "bn-adamw-onecycle-dropout": bn, "sgd-step": sgd}
}

// Determinism: the same seed, recipe and kernel path give bit-identical
// weights (batch norm's running statistics included), with and without
// augmentation; another seed or augmentation gives other weights, so the
// comparison can fail.
func TestRecipeRunsAreDeterministic(t *testing.T) {
	ds := loadSynthetic(t, 300, 60)
	train := func(cfg fmnist.Config) [][]float32 {
		t.Helper()
		res, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "r", Logger: testLogger(t)}, nil)
		if err != nil || res.Epochs != cfg.Epochs {
			t.Fatalf("run %+v: %+v, %v", cfg.Recipe, res, err)
		}
		if !(res.TestAccuracy > 0.3) {
			t.Errorf("recipe %+v learnt little: test accuracy %.3f", cfg.Recipe, res.TestAccuracy)
		}
		return weightsOf(finalState(t, res.CheckpointPath))
	}
	runs := map[string][][]float32{}
	for name, cfg := range recipeConfigs() {
		a, b := train(cfg), train(cfg)
		if where, ok := sameBits(a, b); !ok {
			t.Errorf("%s: two runs differ (%s)", name, where)
		}
		cfg.Seed++
		if _, ok := sameBits(a, train(cfg)); ok {
			t.Errorf("%s: another seed gave the same weights", name)
		}
		runs[name] = a
	}
	if _, ok := sameBits(runs["baseline"], runs["augmented"]); ok {
		t.Error("augmentation changed nothing")
	}
}

// A run stopped mid-epoch and continued reaches the weights of a run never
// stopped, with batch norm, dropout, augmentation and a schedule.
func TestRecipeResumeIsExact(t *testing.T) {
	ds := loadSynthetic(t, 300, 60)
	cfg := recipeConfigs()["bn-adamw-onecycle-dropout"]
	want, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "whole", Logger: testLogger(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := newStopAfterChecks(6)
	part, err := Run(ctx, ds, cfg, Options{CheckpointDir: dir, RunID: "parts", Logger: testLogger(t)}, nil)
	ctx.cancel()
	if err != nil || !part.Stopped {
		t.Fatalf("first leg: %+v, %v", part, err)
	}
	from := finalState(t, part.CheckpointPath)
	rest, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: dir, RunID: "parts", Logger: testLogger(t), From: from}, nil)
	if err != nil || rest.Epochs != cfg.Epochs {
		t.Fatalf("second leg: %+v, %v", rest, err)
	}
	if where, ok := sameBits(weightsOf(finalState(t, want.CheckpointPath)), weightsOf(finalState(t, rest.CheckpointPath))); !ok {
		t.Errorf("resumed run differs from the whole run (%s)", where)
	}
}

// A checkpoint of one preset is refused by another, naming both.
func TestCheckpointOfAnotherPresetIsRefused(t *testing.T) {
	ds := loadSynthetic(t, 120, 30)
	cfg := recipeConfigs()["bn-adamw-onecycle-dropout"]
	cfg.Epochs = 1
	res, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "bn", Logger: testLogger(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ck := finalState(t, res.CheckpointPath)
	other := fmnist.DefaultConfig()
	other.Epochs = 3
	err = ck.CanContinue(other, ds.Train.Count)
	if fmnist.ErrorField(err) != fmnist.FieldPreset || !strings.Contains(err.Error(), `"bn"`) || !strings.Contains(err.Error(), `"baseline"`) {
		t.Errorf("continuing a bn checkpoint as baseline: %v; want an error on preset naming both", err)
	}
	// The same network with another optimiser is refused too.
	same := cfg
	same.Epochs, same.Optimizer = 3, fmnist.OptimizerSGD
	if err := ck.CanContinue(same, ds.Train.Count); fmnist.ErrorField(err) != fmnist.FieldOptimizer {
		t.Errorf("continuing adamw as sgd: %v; want an error on optimizer", err)
	}
	// A model of any preset loads for predictions.
	m, err := LoadModel(ck.Path)
	if err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	defer m.Close()
	if s := m.Net.Spec(); !s.BatchNorm || s.Conv1 != 8 || s.Dense != 32 {
		t.Errorf("loaded network %+v; want the bn network of the checkpoint", s)
	}
	acc, err := Evaluate(m.Net, &ds.Test)
	if err != nil || math.Abs(acc.Overall-res.TestAccuracy) > 0.2 {
		t.Errorf("loaded model's accuracy %.3f (%v); the run ended at %.3f (with TTA)", acc.Overall, err, res.TestAccuracy)
	}
}

// The validation split holds out the last images, is evaluated each epoch,
// and picks the best epoch; the loss points carry the schedule's LR.
func TestValidationSplitAndScheduledLR(t *testing.T) {
	ds := loadSynthetic(t, 300, 60)
	cfg := recipeConfigs()["sgd-step"]
	cfg.Epochs, cfg.Val = 3, 60
	var box fmnist.Mailbox
	res, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "v", Logger: testLogger(t)}, &box)
	if err != nil {
		t.Fatal(err)
	}
	ev := collect(box.Drain())
	if len(ev.epochs) != 3 {
		t.Fatalf("%d epoch results", len(ev.epochs))
	}
	bestVal := -1.0
	for _, e := range ev.epochs {
		if e.ValImages != 60 || !(e.ValAccuracy > 0 && e.ValAccuracy <= 1) || !(e.ValLoss > 0) {
			t.Errorf("epoch %d: validation %d images, accuracy %v, loss %v", e.Epoch, e.ValImages, e.ValAccuracy, e.ValLoss)
		}
		bestVal = max(bestVal, e.ValAccuracy)
	}
	if res.BestValAccuracy != bestVal || res.BestEpoch < 1 {
		t.Errorf("best epoch %d at validation %.3f; the epochs' best is %.3f", res.BestEpoch, res.BestValAccuracy, bestVal)
	}
	if p := ev.progress[0]; p.Batches != (300-60+29)/30 {
		t.Errorf("an epoch has %d batches; want those of the %d images left", p.Batches, 300-60)
	}
	batches := cfg.BatchesPerEpoch(ds.Train.Count)
	for _, p := range ev.lossPoints {
		epoch := int(math.Ceil(p.Epoch - 1e-9))
		if want := cfg.LR * math.Pow(0.5, float64(epoch-1)); math.Abs(p.LR-want) > 1e-12 {
			t.Errorf("loss point at %.3f: lr %g, want %g (step schedule, %d batches an epoch)", p.Epoch, p.LR, want, batches)
		}
	}
}

// The time limit ends training cleanly, then evaluates.
func TestTimeLimitEndsTrainingAndEvaluates(t *testing.T) {
	ds := loadSynthetic(t, 600, 60)
	cfg := fmnist.Config{Epochs: 1000, BatchSize: 20, LR: 1e-3, Seed: 1}
	cfg.TimeLimit = 1
	var box fmnist.Mailbox
	began := time.Now()
	res, err := Run(t.Context(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "t", Logger: testLogger(t)}, &box)
	if err != nil {
		t.Fatal(err)
	}
	ev := collect(box.Drain())
	if !res.TimeUp || res.Stopped || res.Epochs >= cfg.Epochs || len(ev.epochs) == 0 {
		t.Fatalf("result %+v with %d epoch results; want the time limit to end it with an evaluation", res, len(ev.epochs))
	}
	if last := ev.statuses[len(ev.statuses)-1]; last != fmnist.StatusFinished {
		t.Errorf("last status %s; want finished", last)
	}
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("took %s for a 1 s limit", took)
	}
	ck := finalState(t, res.CheckpointPath)
	if ck.Meta.Epoch != res.Epochs {
		t.Errorf("last checkpoint at epoch %d; the run evaluated %d", ck.Meta.Epoch, res.Epochs)
	}
}

// Augmentation of the same batch repeats; crop and flip move pixels as said.
func TestAugmentIsSeededAndGeometric(t *testing.T) {
	ds := loadSynthetic(t, 40, 10)
	set := &ds.Train
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	a := data.Augment{Crop: 3, Flip: true, Erase: 0.5}
	one, two := make([]float32, len(idx)*784), make([]float32, len(idx)*784)
	set.NormalizeAugmented(one, idx, a, data.AugmentRand(1, 2, 3))
	set.NormalizeAugmented(two, idx, a, data.AugmentRand(1, 2, 3))
	if where, ok := sameBits([][]float32{one}, [][]float32{two}); !ok {
		t.Errorf("the same draws gave other images (%s)", where)
	}
	set.NormalizeAugmented(two, idx, a, data.AugmentRand(1, 2, 4))
	if _, ok := sameBits([][]float32{one}, [][]float32{two}); ok {
		t.Error("another batch got the same augmentation")
	}
	plain := make([]float32, 784)
	set.Normalize(plain, idx[:1])
	flipOnly := make([]float32, 784)
	for seed := range int64(20) {
		set.NormalizeAugmented(flipOnly, idx[:1], data.Augment{Flip: true}, data.AugmentRand(seed, 1, 1))
		flipped := flipOnly[0] != plain[0] || flipOnly[27] != plain[27]
		for y := range 28 {
			for x := range 28 {
				src := x
				if flipped {
					src = 27 - x
				}
				if flipOnly[y*28+x] != plain[y*28+src] {
					t.Fatalf("seed %d: pixel (%d,%d) is not the source's (flipped %v)", seed, y, x, flipped)
				}
			}
		}
	}
}
