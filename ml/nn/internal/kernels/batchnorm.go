package kernels

import "math"

// BatchNorm is the arithmetic of batch normalisation over the channels of
// NCHW tensors, as PyTorch's BatchNorm2d: in training each channel is
// normalised by the batch's mean and biased variance, and the running
// statistics move by Momentum towards them (the unbiased variance); in
// evaluation the running statistics normalise. Then y = γ·x̂ + β. Sums are
// float64, one channel at a time, so results do not depend on how the
// channels are split between CPUs. It is Go on every path.
type BatchNorm struct {
	Batch, Channels, Plane int
	Training               bool
	Momentum, Eps          float64
	RunMean, RunVar        []float32 // updated by training passes
	Xhat                   []float32 // training: the normalised input, for Backward
	InvStd                 []float32 // per channel, of the last Forward
}

// plane returns channel c's plane of image n in v.
func (b *BatchNorm) plane(v []float32, n, c int) []float32 {
	off := (n*b.Channels + c) * b.Plane
	return v[off : off+b.Plane]
}

// Forward computes y from x for the channels [lo, hi).
func (b *BatchNorm) Forward(x, gamma, beta, y []float32, lo, hi int) {
	m := float64(b.Batch * b.Plane)
	for c := lo; c < hi; c++ {
		mean, variance := float64(b.RunMean[c]), float64(b.RunVar[c])
		if b.Training {
			// One pass for both moments: float32 sums over a plane (a few
			// hundred values), float64 across planes.
			var sum, sumSq float64
			for n := range b.Batch {
				var s, s2 float32
				for _, v := range b.plane(x, n, c) {
					s += v
					s2 += v * v
				}
				sum, sumSq = sum+float64(s), sumSq+float64(s2)
			}
			mean = sum / m
			variance = max(sumSq/m-mean*mean, 0)
			sq := variance * m
			unbiased := sq / max(m-1, 1)
			b.RunMean[c] = float32((1-b.Momentum)*float64(b.RunMean[c]) + b.Momentum*mean)
			b.RunVar[c] = float32((1-b.Momentum)*float64(b.RunVar[c]) + b.Momentum*unbiased)
		}
		inv := float32(1 / math.Sqrt(variance+b.Eps))
		b.InvStd[c] = inv
		mu, g, bias := float32(mean), gamma[c], beta[c]
		for n := range b.Batch {
			xs, ys := b.plane(x, n, c), b.plane(y, n, c)
			if !b.Training {
				for i, v := range xs {
					ys[i] = g*((v-mu)*inv) + bias
				}
				continue
			}
			xh := b.plane(b.Xhat, n, c)
			for i, v := range xs {
				h := (v - mu) * inv
				xh[i], ys[i] = h, g*h+bias
			}
		}
	}
}

// Backward computes dx, dγ and dβ from dy for the channels [lo, hi), after
// a training Forward: dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)).
func (b *BatchNorm) Backward(gamma, dy, dx, dGamma, dBeta []float32, lo, hi int) {
	m := float32(b.Batch * b.Plane)
	for c := lo; c < hi; c++ {
		var sumDy, sumDyXhat float64
		for n := range b.Batch {
			xh := b.plane(b.Xhat, n, c)
			for i, d := range b.plane(dy, n, c) {
				sumDy += float64(d)
				sumDyXhat += float64(d) * float64(xh[i])
			}
		}
		dGamma[c], dBeta[c] = float32(sumDyXhat), float32(sumDy)
		k := float32(float64(gamma[c]) * float64(b.InvStd[c]) / float64(m))
		sd, sdx := float32(sumDy), float32(sumDyXhat)
		for n := range b.Batch {
			xh, dxs := b.plane(b.Xhat, n, c), b.plane(dx, n, c)
			for i, d := range b.plane(dy, n, c) {
				dxs[i] = k * (m*d - sd - xh[i]*sdx)
			}
		}
	}
}
