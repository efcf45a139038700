package data

import (
	"math"
	"math/rand/v2"
)

// AugmentImage writes image idx of s, changed by a with draws from rng,
// into dst (Rows*Cols bytes): one image as training would see it, for
// showing augmentation. Training augments straight into the network's
// input; this maps that input back to pixels.
func (s *Set) AugmentImage(dst []uint8, idx int, a Augment, rng *rand.Rand) {
	in := make([]float32, s.Rows*s.Cols)
	a.apply(in, s.Image(idx), s.Rows, s.Cols, rng)
	for i, v := range in {
		p := (float64(v)*PixelStd + PixelMean) * 255
		dst[i] = uint8(math.Round(min(max(p, 0), 255)))
	}
}
