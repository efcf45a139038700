package train

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// BenchmarkEvaluate measures the end-of-epoch evaluation on the real test
// set (10,000 images; FMNIST_DATA or /work/shared/data/fashion-mnist):
// "accuracy" is the evaluation as it was before the confusion matrix and
// the per-image bitset, "analysis" is today's, "analysis+dynamics" adds the
// epoch's learned/forgotten/never-right counts from the bitsets. Compare them with benchstat
// over -count runs; the target is at most 5% more.
func BenchmarkEvaluate(b *testing.B) {
	dir := os.Getenv("FMNIST_DATA")
	if dir == "" {
		dir = "/work/shared/data/fashion-mnist"
	}
	ds, err := data.LoadDataset(dir)
	if err != nil {
		b.Skipf("no Fashion-MNIST at %s (set FMNIST_DATA): %v", dir, err)
	}
	net, err := nn.NewNetwork(1, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	set := &ds.Test
	b.Run("accuracy", func(b *testing.B) {
		for b.Loop() {
			if _, err := accuracyOnly(net, set); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("analysis", func(b *testing.B) {
		for b.Loop() {
			if _, err := evaluate(context.Background(), net, set, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The dynamics are read from the bitsets: this epoch's counts against
	// the epoch before's, as the dynamics panel computes them.
	prev := fmnist.EpochAnalysis{Epoch: 1, Images: set.Count, Correct: fmnist.NewBitset(set.Count)}
	b.Run("analysis+dynamics", func(b *testing.B) {
		for b.Loop() {
			acc, err := evaluate(context.Background(), net, set, false)
			if err != nil {
				b.Fatal(err)
			}
			epochDynamics(prev, acc)
		}
	})
}

// epochDynamics is an epoch's learned, forgotten and never-right counts
// from its bitset and the epoch before's.
func epochDynamics(prev fmnist.EpochAnalysis, acc fmnist.Accuracy) fmnist.EpochDynamics {
	d := fmnist.DynamicsOf([]fmnist.EpochAnalysis{prev, {Epoch: 2, Images: acc.Count, Correct: acc.Correct}})
	return d.Epochs[1]
}

// accuracyOnly is the evaluation before this change: overall and per-class
// accuracy and the loss, nothing per image.
func accuracyOnly(net *nn.Network, set *data.Set) (float64, error) {
	indices := make([]int, set.Count)
	for i := range indices {
		indices[i] = i
	}
	var (
		correct                        int
		perClassCorrect, perClassTotal [10]int
		lossSum                        float64
	)
	err := predictChunks(context.Background(), net, set, indices, false, func(idx int, probs []float32) {
		label := int(set.Labels[idx])
		perClassTotal[label]++
		if nn.IndexOfMax(probs) == label {
			correct++
			perClassCorrect[label]++
		}
		lossSum -= math.Log(max(float64(probs[label]), 1e-12))
	})
	return float64(correct) / float64(set.Count), err
}

// BenchmarkEvaluateBookkeeping is the per-image work after the forward pass
// over 10,000 images' probabilities, without the forward pass: the part
// the confusion matrix, the bitset and the dynamics counts add to, measurable on a busy machine
// where BenchmarkEvaluate's seconds-long forward passes are too noisy.
func BenchmarkEvaluateBookkeeping(b *testing.B) {
	const n = 10_000
	probs := make([]float32, n*10)
	labels := make([]uint8, n)
	for i := range n {
		labels[i] = uint8(i % 10)
		for c := range 10 {
			probs[i*10+c] = float32((i*7+c*3)%11) / 55
		}
	}
	b.Run("accuracy", func(b *testing.B) {
		for b.Loop() {
			var correct int
			var perClassCorrect, perClassTotal [10]int
			var lossSum float64
			for i := range n {
				p, label := probs[i*10:i*10+10], int(labels[i])
				perClassTotal[label]++
				if nn.IndexOfMax(p) == label {
					correct++
					perClassCorrect[label]++
				}
				lossSum -= math.Log(max(float64(p[label]), 1e-12))
			}
		}
	})
	prev := fmnist.EpochAnalysis{Epoch: 1, Images: n, Correct: fmnist.NewBitset(n)}
	b.Run("analysis+dynamics", func(b *testing.B) {
		for b.Loop() {
			var correct int
			var perClassCorrect, perClassTotal [10]int
			var lossSum float64
			var confusion fmnist.Confusion
			right := fmnist.NewBitset(n)
			for i := range n {
				p, label := probs[i*10:i*10+10], int(labels[i])
				predicted := nn.IndexOfMax(p)
				perClassTotal[label]++
				confusion[label][predicted]++
				if predicted == label {
					correct++
					perClassCorrect[label]++
					right.Set(i)
				}
				lossSum -= math.Log(max(float64(p[label]), 1e-12))
			}
			epochDynamics(prev, fmnist.Accuracy{Count: n, Correct: right})
		}
	})
}
