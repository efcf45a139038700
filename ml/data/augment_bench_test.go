package data

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkNormalizeBatch prepares a batch of 64 training images as the
// network's input, plain and with crop, flip and erasing, to compare with
// a training step (nn.BenchmarkTrainStep): augmentation's cost is the
// difference.
func BenchmarkNormalizeBatch(b *testing.B) {
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 2))
	set := &Set{Images: make([]uint8, 1000*ImageSize), Labels: make([]uint8, 1000), Count: 1000, Rows: ImageRows, Cols: ImageCols}
	for i := range set.Images {
		set.Images[i] = uint8(rng.IntN(256))
	}
	idx := rng.Perm(set.Count)[:batch]
	dst := make([]float32, batch*ImageSize)
	for _, c := range []struct {
		name string
		a    Augment
	}{{"plain", Augment{}}, {"crop2-flip-erase", Augment{Crop: 2, Flip: true, Erase: 0.5}}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				n++
				set.NormalizeAugmented(dst, idx, c.a, AugmentRand(1, 1, n))
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
