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
// scratch holds one image's pixels (Rows*Cols bytes).
func (s *Set) NormalizeAugmented(dst []float32, indices []int, a Augment, rng *rand.Rand, scratch []uint8) {
	if !a.Active() {
		s.Normalize(dst, indices)
		return
	}
	size := s.Rows * s.Cols
	for k, idx := range indices {
		img := scratch[:size]
		a.apply(img, s.Image(idx), s.Rows, s.Cols, rng)
		out := dst[k*size : (k+1)*size]
		for p, v := range img {
			out[p] = pixelScale[v]
		}
	}
}

// apply writes src changed by a into img (both rows×cols).
func (a Augment) apply(img, src []uint8, rows, cols int, rng *rand.Rand) {
	dy, dx := 0, 0
	if a.Crop > 0 {
		dy, dx = rng.IntN(2*a.Crop+1)-a.Crop, rng.IntN(2*a.Crop+1)-a.Crop
	}
	flip := a.Flip && rng.IntN(2) == 1
	// Output pixel (y, x) comes from source (y+dy, x'+dx), x' mirrored when
	// flipped; outside the source is the zero padding.
	for y := range rows {
		row := img[y*cols : (y+1)*cols]
		sy := y + dy
		if sy < 0 || sy >= rows {
			clear(row)
			continue
		}
		srow := src[sy*cols : (sy+1)*cols]
		for x := range cols {
			sx := x
			if flip {
				sx = cols - 1 - x
			}
			sx += dx
			if sx < 0 || sx >= cols {
				row[x] = 0
			} else {
				row[x] = srow[sx]
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
			clear(img[y*cols+x0 : y*cols+x0+w])
		}
	}
}

// pow33 maps u in [0, 1) to 11^u, so 0.3·pow33(u) is log-uniform in [0.3, 3.3).
func pow33(u float64) float64 { return math.Exp(u * math.Log(11)) }
