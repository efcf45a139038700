package bundles_test

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// TestBatchNormStatisticsLeaveInEveryFormat trains a run of the best
// preset (batch norm, flip test-time augmentation) and exports it: the
// safetensors file and the bundle carry each batch-norm layer's running
// mean and variance bit for bit as the checkpoint has them, and the ONNX
// model normalises with them and averages each image with its mirror, as
// the app predicts (ml/export checks it runs the same as the app).
func TestBatchNormStatisticsLeaveInEveryFormat(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cfg := smallPresetRun(t, fmnist.PresetBest)
	if !cfg.BatchNorm || !cfg.TTA {
		t.Fatal("the best preset has no batch norm or no flip TTA; this test means to cover them")
	}
	id := f.trainedRun(t, cfg)
	cks, err := f.svc.Checkpoints(ctx, id)
	if err != nil || len(cks) == 0 {
		t.Fatalf("checkpoints %v (%v)", cks, err)
	}
	ck, err := train.ReadCheckpoint(cks[len(cks)-1].Path)
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string][]float32{}
	for _, p := range ck.Params {
		if strings.Contains(p.Name, "running_") {
			stats[p.Name] = p.Data
		}
	}
	if len(stats) != 4 {
		t.Fatalf("the checkpoint has batch-norm statistics %v, want bn1 and bn2's mean and var", slices.Collect(maps.Keys(stats)))
	}
	for name, v := range stats {
		initial := float32(1) // a running variance starts at 1, a mean at 0
		if strings.HasSuffix(name, "mean") {
			initial = 0
		}
		if !slices.ContainsFunc(v, func(x float32) bool { return x != initial }) {
			t.Errorf("%s is still its initial %v: training did not move it, so this test would not notice it missing", name, initial)
		}
	}

	params, _, err := export.DecodeSafetensors(f.export(t, id, bundles.FormatSafetensors), export.SpecsOf(ck.Params))
	if err != nil {
		t.Fatal(err)
	}
	b := readBundle(t, f.export(t, id, bundles.FormatBundle), cfg)
	for _, exported := range [][]nn.Param{params, b.Weights} {
		found := 0
		for _, p := range exported {
			if want, ok := stats[p.Name]; ok {
				found++
				if !slices.Equal(bitsOf(p.Data), bitsOf(want)) {
					t.Errorf("%s differs from the checkpoint's", p.Name)
				}
			}
		}
		if found != len(stats) {
			t.Errorf("%d of the %d batch-norm statistics exported", found, len(stats))
		}
	}

	model := f.export(t, id, bundles.FormatONNX)
	for _, want := range []string{"BatchNormalization", "bn1.running_mean", "bn2.running_var", "ReduceMean"} {
		if !bytes.Contains(model, []byte(want)) {
			t.Errorf("the ONNX model lacks %s", want)
		}
	}
}
