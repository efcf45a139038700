package nn

import (
	"math"
	"testing"
)

// A layer whose biases are forced far below zero outputs nothing: all its
// units are dead, and the step reports it; a fresh network's are alive.
func TestTrainStepHealthReportsDeadUnitsAndTheGradientNorm(t *testing.T) {
	n, err := NewNetwork(1, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	x, labels := syntheticBatch(1, 32)
	var h StepHealth
	if _, err := n.TrainStepHealth(x, labels, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Dead) != 3 || h.Dead[0].Layer != "conv1" || h.Dead[2].Layer != "fc1" {
		t.Fatalf("dead units per layer %+v; want conv1, conv2, fc1", h.Dead)
	}
	for _, d := range h.Dead {
		if d.Share > 0.5 {
			t.Errorf("fresh network: %s has %.0f%% dead units", d.Layer, 100*d.Share)
		}
	}
	if !(h.GradNorm > 0) || math.IsInf(h.GradNorm, 0) {
		t.Errorf("gradient norm %v; want a positive finite number", h.GradNorm)
	}
	for _, p := range n.Params() {
		if p.Name == "fc1.bias" {
			for i := range p.Data {
				p.Data[i] = -1e4
			}
		}
	}
	if _, err := n.TrainStepHealth(x, labels, &h); err != nil {
		t.Fatal(err)
	}
	if h.Dead[2].Share != 1 {
		t.Errorf("fc1 with biases at -10⁴: %.0f%% dead units, want 100%%", 100*h.Dead[2].Share)
	}
}

// BenchmarkTrainStepHealth is BenchmarkTrainStep with the health figures,
// to compare: the difference is what a sampled step costs.
func BenchmarkTrainStepHealth(b *testing.B) {
	const batch = 64
	n, err := NewNetwork(1, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	x, labels := syntheticBatch(1, batch)
	var h StepHealth
	if _, err := n.TrainStepHealth(x, labels, &h); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := n.TrainStepHealth(x, labels, &h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
}
