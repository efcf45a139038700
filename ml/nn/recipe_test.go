package nn

import (
	"math"
	"testing"
)

// Label smoothing ε makes the training loss the cross-entropy against
// targets of 1-ε+ε/10 on the label and ε/10 elsewhere.
func TestLabelSmoothingLoss(t *testing.T) {
	const eps, batch = 0.2, 8
	spec := DefaultSpec(1e-3)
	spec.LabelSmoothing = eps
	n, err := NewNetworkSpec(3, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	x, labels := syntheticBatch(4, batch)
	probs := make([]float32, batch*netClasses)
	if err := n.Predict(x, batch, probs); err != nil {
		t.Fatal(err)
	}
	var want float64
	for i, l := range labels {
		for j := range netClasses {
			target := eps / netClasses
			if j == int(l) {
				target += 1 - eps
			}
			want -= target * math.Log(float64(probs[i*netClasses+j]))
		}
	}
	want /= batch
	got, err := n.TrainStep(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got)-want) > 1e-4*want {
		t.Errorf("smoothed loss %v, want %v", got, want)
	}
}

// A network of other widths, batch norm and dropout trains, and its
// running statistics move while its evaluation leaves them alone.
func TestRecipeNetworkTrains(t *testing.T) {
	spec := Spec{Conv1: 8, Conv2: 12, Dense: 20, BatchNorm: true, Dropout: 0.3, Optimizer: OptimizerSGD, LR: 0.05, Momentum: 0.9}
	n, err := NewNetworkSpec(1, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	x, labels := syntheticBatch(1, 32)
	first, err := n.TrainStep(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	var last float32
	for range 30 {
		if last, err = n.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first*0.7) {
		t.Errorf("loss went from %v to %v in 30 steps on one batch", first, last)
	}
	var mean []float32
	for _, p := range n.Params() {
		if p.Name == "bn2.running_mean" {
			mean = append(mean, p.Data...)
		}
	}
	if len(mean) != 12 || nonZero(mean) == 0 {
		t.Fatalf("bn2.running_mean %v: want 12 values moved by training", mean)
	}
	before := append([]float32(nil), mean...)
	if _, _, err := n.Evaluate(x, labels); err != nil {
		t.Fatal(err)
	}
	for _, p := range n.Params() {
		if p.Name == "bn2.running_mean" && p.Data[0] != before[0] {
			t.Error("evaluation changed the running statistics")
		}
	}
	if got := n.Spec().Architecture(); got == Architecture {
		t.Errorf("architecture %q should differ from the baseline's", got)
	}
}
