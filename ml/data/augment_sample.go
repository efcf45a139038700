package data

import "math/rand/v2"

// AugmentImage writes image idx of s, changed by a with draws from rng,
// into dst (Rows*Cols bytes): one image as training would see it, for
// showing augmentation.
func (s *Set) AugmentImage(dst []uint8, idx int, a Augment, rng *rand.Rand) {
	a.apply(dst, s.Image(idx), s.Rows, s.Cols, rng)
}
