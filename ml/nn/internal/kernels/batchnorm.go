package kernels

import "math"

// BatchNorm is the arithmetic of batch normalisation over the channels of
// NCHW tensors, as PyTorch's BatchNorm2d: in training each channel is
// normalised by the batch's mean and biased variance, and the running
// statistics move by Momentum towards them (the unbiased variance); in
// evaluation the running statistics normalise. Then y = γ·x̂ + β. Sums are
// float32 within a plane (four partial sums) and float64 across planes, one
// channel at a time, so results do not depend on how the
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
				s, s2 := sumAndSquares(b.plane(x, n, c))
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
				ys = ys[:len(xs)]
				for i, v := range xs {
					ys[i] = g*((v-mu)*inv) + bias
				}
				continue
			}
			xh := b.plane(b.Xhat, n, c)
			xh, ys = xh[:len(xs)], ys[:len(xs)]
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
			s, sx := sumAndDot(b.plane(dy, n, c), b.plane(b.Xhat, n, c))
			sumDy, sumDyXhat = sumDy+float64(s), sumDyXhat+float64(sx)
		}
		dGamma[c], dBeta[c] = float32(sumDyXhat), float32(sumDy)
		k := float32(float64(gamma[c]) * float64(b.InvStd[c]) / float64(m))
		sd, sdx := float32(sumDy), float32(sumDyXhat)
		for n := range b.Batch {
			dys := b.plane(dy, n, c)
			xh, dxs := b.plane(b.Xhat, n, c)[:len(dys)], b.plane(dx, n, c)[:len(dys)]
			for i, d := range dys {
				dxs[i] = k * (m*d - sd - xh[i]*sdx)
			}
		}
	}
}

// sumAndSquares returns Σv and Σv² in float32, with four partial sums each:
// independent chains run several additions at once.
func sumAndSquares(v []float32) (sum, sumSq float32) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		s0, s1, s2, s3 = s0+w[0], s1+w[1], s2+w[2], s3+w[3]
		q0, q1, q2, q3 = q0+w[0]*w[0], q1+w[1]*w[1], q2+w[2]*w[2], q3+w[3]*w[3]
	}
	for ; i < len(v); i++ {
		s0, q0 = s0+v[i], q0+v[i]*v[i]
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// sumAndDot returns Σd and Σd·x in float32 over len(d), as sumAndSquares.
func sumAndDot(d, x []float32) (sum, dot float32) {
	x = x[:len(d)]
	var s0, s1, s2, s3, p0, p1, p2, p3 float32
	i := 0
	for ; i+4 <= len(d); i += 4 {
		a, b := d[i:i+4:i+4], x[i:i+4:i+4]
		s0, s1, s2, s3 = s0+a[0], s1+a[1], s2+a[2], s3+a[3]
		p0, p1, p2, p3 = p0+a[0]*b[0], p1+a[1]*b[1], p2+a[2]*b[2], p3+a[3]*b[3]
	}
	for ; i < len(d); i++ {
		s0, p0 = s0+d[i], p0+d[i]*x[i]
	}
	return (s0 + s1) + (s2 + s3), (p0 + p1) + (p2 + p3)
}
