package data

import (
	"math"
	"math/rand/v2"
)

// Augment is the random change made to each training image before it is
// normalised: a crop of the image zero-padded by Crop pixels (a shift of
// up to Crop pixels each way), a horizontal flip of half the images, and
// with probability Erase a random rectangle set to zero (random erasing,
// 2–25% of the image, aspect ratio 0.3–3.3). It works on the uint8 pixels,
// and its random draws depend only on the seed, epoch and batch given, so
// a run (or its resumption) repeats exactly.
type Augment struct {
	Crop  int
	Flip  bool
	Erase float64
}

// Active reports whether a changes anything.
func (a Augment) Active() bool { return a.Crop > 0 || a.Flip || a.Erase > 0 }

// AugmentRand is the generator of one batch's augmentation.
func AugmentRand(seed int64, epoch, batch int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0xa0761d6478bd642f, uint64(epoch)<<32|uint64(uint32(batch))))
}

// NormalizeAugmented writes the images at indices into dst as the
// network's input (see Normalize), each changed by a with draws from rng.
// The change and the normalisation are one pass over the pixels.
func (s *Set) NormalizeAugmented(dst []float32, indices []int, a Augment, rng *rand.Rand) {
	if !a.Active() {
		s.Normalize(dst, indices)
		return
	}
	size := s.Rows * s.Cols
	for k, idx := range indices {
		a.apply(dst[k*size:(k+1)*size], s.Image(idx), s.Rows, s.Cols, rng)
	}
}

// apply writes src changed by a, normalised, into out (both rows×cols).
func (a Augment) apply(out []float32, src []uint8, rows, cols int, rng *rand.Rand) {
	dy, dx := 0, 0
	if a.Crop > 0 {
		dy, dx = rng.IntN(2*a.Crop+1)-a.Crop, rng.IntN(2*a.Crop+1)-a.Crop
	}
	flip := a.Flip && rng.IntN(2) == 1
	zero := pixelScale[0] // the padding
	// Output pixel (y, x) comes from source (y+dy, x+dx), or (y+dy,
	// cols-1-x+dx) when flipped; outside the source is the padding. The
	// columns [lo, hi) are those with a source pixel.
	lo, hi := max(0, -dx), min(cols, cols-dx)
	if flip {
		lo, hi = max(0, dx), min(cols, cols+dx)
	}
	for y := range rows {
		row := out[y*cols : (y+1)*cols]
		sy := y + dy
		if sy < 0 || sy >= rows {
			fill(row, zero)
			continue
		}
		srow := src[sy*cols : (sy+1)*cols]
		fill(row[:lo], zero)
		fill(row[hi:], zero)
		if flip {
			for x := lo; x < hi; x++ {
				row[x] = pixelScale[srow[cols-1-x+dx]]
			}
		} else {
			for x, v := range srow[lo+dx : hi+dx] {
				row[lo+x] = pixelScale[v]
			}
		}
	}
	if a.Erase > 0 && rng.Float64() < a.Erase {
		area := float64(rows*cols) * (0.02 + 0.23*rng.Float64())
		ratio := 0.3 * pow33(rng.Float64()) // log-uniform in [0.3, 3.3]
		h := min(rows, max(1, int(math.Sqrt(area*ratio)+0.5)))
		w := min(cols, max(1, int(math.Sqrt(area/ratio)+0.5)))
		y0, x0 := rng.IntN(rows-h+1), rng.IntN(cols-w+1)
		for y := y0; y < y0+h; y++ {
			fill(out[y*cols+x0:y*cols+x0+w], zero)
		}
	}
}

func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}

// pow33 maps u in [0, 1) to 11^u, so 0.3·pow33(u) is log-uniform in [0.3, 3.3).
func pow33(u float64) float64 { return math.Exp(u * math.Log(11)) }
