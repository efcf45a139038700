package nn

import "testing"

// BenchmarkTrainStep measures one training step (forward, backward, Adam)
// on a batch of 64, the default batch size.
func BenchmarkTrainStep(b *testing.B) { benchTrainStep(b, DefaultSpec(1e-3)) }

// BenchmarkTrainStepBN is BenchmarkTrainStep on the bn preset's network:
// the baseline with batch norm after each convolution block.
func BenchmarkTrainStepBN(b *testing.B) {
	spec := DefaultSpec(1e-3)
	spec.BatchNorm = true
	benchTrainStep(b, spec)
}

func benchTrainStep(b *testing.B, spec Spec) {
	const batch = 64
	n, err := NewNetworkSpec(1, spec)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	x, labels := syntheticBatch(1, batch)
	if _, err := n.TrainStep(x, labels); err != nil { // compile the graph
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := n.TrainStep(x, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkPredict measures inference on a batch of 1000, the chunk size of
// test-set evaluation.
func BenchmarkPredict(b *testing.B) {
	const batch = 1000
	n, err := NewNetwork(1, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	x, _ := syntheticBatch(1, batch)
	probs := make([]float32, batch*netClasses)
	if err := n.Predict(x, batch, probs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := n.Predict(x, batch, probs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
}
