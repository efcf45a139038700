package train

import (
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// A network whose fc1 biases are forced far below zero has only dead fc1
// units: the sampled step's figures give one dead-units warning naming the
// layer, and not again while the layer stays dead.
func TestStepWatchWarnsOfDeadUnitsOnce(t *testing.T) {
	net, err := nn.NewNetwork(1, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	for _, p := range net.Params() {
		if p.Name == "fc1.bias" {
			for i := range p.Data {
				p.Data[i] = -1e4
			}
		}
	}
	ds := loadSynthetic(t, 64, 16)
	x := make([]float32, 16*784)
	idx := make([]int, 16)
	labels := make([]uint8, 16)
	for i := range idx {
		idx[i] = i
		labels[i] = ds.Train.Labels[i]
	}
	ds.Train.NormalizeAugmented(x, idx, data.Augment{}, nil)
	s := newStepWatch(fmnist.DefaultHealth)
	var warnings []fmnist.Warning
	for b := 1; b <= 3; b++ {
		var h nn.StepHealth
		if _, err := net.TrainStepHealth(x, labels, &h); err != nil {
			t.Fatal(err)
		}
		warnings = append(warnings, s.step(1, b, 10, &h)...)
	}
	if len(warnings) != 1 || warnings[0].Kind != fmnist.WarnDeadUnits || !strings.Contains(warnings[0].Message, "fc1") {
		t.Fatalf("warnings %+v; want one dead-units warning naming fc1", warnings)
	}
	if w := warnings[0]; w.Epoch != 1 || w.Batch != 1 || w.X != curveX(1, 1, 10) {
		t.Errorf("warning at epoch %d batch %d x %v; want epoch 1 batch 1", w.Epoch, w.Batch, w.X)
	}
}

// An injected gradient norm 20× the usual gives one spike warning; the
// window must first hold GradSpikeMinSamples norms.
func TestStepWatchWarnsOfAnInjectedGradientSpike(t *testing.T) {
	s := newStepWatch(fmnist.DefaultHealth)
	step := func(b int, norm float64) []fmnist.Warning {
		return s.step(1, b, 1000, &nn.StepHealth{GradNorm: norm})
	}
	if w := step(1, 1); len(w) != 0 {
		t.Fatalf("first sample warned: %+v", w)
	}
	if w := step(2, 50); len(w) != 0 {
		t.Fatalf("warned with a single sample in the window: %+v", w)
	}
	for b := 3; b <= 40; b++ {
		if w := step(b, 1+0.1*float64(b%3)); len(w) != 0 {
			t.Fatalf("batch %d warned on an ordinary norm: %+v", b, w)
		}
	}
	w := step(41, 20)
	if len(w) != 1 || w[0].Kind != fmnist.WarnGradSpike || w[0].Batch != 41 {
		t.Fatalf("injected spike gave %+v; want one grad-spike warning at batch 41", w)
	}
	if again := step(42, 25); len(again) != 0 {
		t.Errorf("a spike that lasts warned again: %+v", again)
	}
	step(43, 1)
	if next := step(44, 30); len(next) != 1 {
		t.Errorf("a new spike after a normal step gave %+v; want a warning", next)
	}
}

func TestStepWatchSamplesTheFirstAndEveryNthBatch(t *testing.T) {
	s := newStepWatch(fmnist.DefaultHealth)
	var got []int
	for n := range 25 {
		if s.sampled(n) {
			got = append(got, n)
		}
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 10 || got[2] != 20 {
		t.Errorf("sampled batches %v; want [0 10 20]", got)
	}
}
