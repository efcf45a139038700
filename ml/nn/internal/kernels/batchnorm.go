package kernels

import "math"

// BatchNorm is the arithmetic of batch normalisation over the channels of
// NCHW tensors, as PyTorch's BatchNorm2d: in training each channel is
// normalised by the batch's mean and biased variance, and the running
// statistics move by Momentum towards them (the unbiased variance); in
// evaluation the running statistics normalise. Then y = γ·x̂ + β. x̂ is
// not kept: Backward computes it again from x, the same way, which costs
// two operations where storing and loading it costs a pass over memory.
//
// A channel is Batch planes, Channels·Plane floats apart, and each kernel
// call (bnSums, bnSumDot, bnNorm, bnGrad) takes all of them. The sums are
// float32 within a plane and float64 across planes, one channel at a time
// in a fixed order, so results do not depend on how the channels are split
// between CPUs. The vector kernels keep lane-wise partial sums, so the sums
// differ from the Go loops' in the last bits, but each path is
// deterministic; the element-wise loops match the Go ones bit for bit.
type BatchNorm struct {
	Batch, Channels, Plane int
	Training               bool
	Momentum, Eps          float64
	RunMean, RunVar        []float32 // updated by training passes
	Mean, InvStd           []float32 // per channel, of the last Forward
}

// channel returns the span of v that holds channel c's planes, from the
// first float of image 0 to the last of image Batch-1.
func (b *BatchNorm) channel(v []float32, c int) []float32 {
	off := c * b.Plane
	return v[off : off+bnSpan(b.Batch, b.Plane, b.Channels*b.Plane)]
}

// bnSpan is the length of n planes of plane floats, stride apart.
func bnSpan(n, plane, stride int) int { return (n-1)*stride + plane }

// Forward computes y from x for the channels [lo, hi).
func (b *BatchNorm) Forward(x, gamma, beta, y []float32, lo, hi int) {
	m := float64(b.Batch * b.Plane)
	n, stride := b.Batch, b.Channels*b.Plane
	for c := lo; c < hi; c++ {
		xs, ys := b.channel(x, c), b.channel(y, c)
		mean, variance := float64(b.RunMean[c]), float64(b.RunVar[c])
		if b.Training {
			// One pass for both moments.
			sum, sumSq := bnSums(xs, n, b.Plane, stride)
			mean = sum / m
			variance = max(sumSq/m-mean*mean, 0)
			sq := variance * m
			unbiased := sq / max(m-1, 1)
			b.RunMean[c] = float32((1-b.Momentum)*float64(b.RunMean[c]) + b.Momentum*mean)
			b.RunVar[c] = float32((1-b.Momentum)*float64(b.RunVar[c]) + b.Momentum*unbiased)
		}
		mu, inv := float32(mean), float32(1/math.Sqrt(variance+b.Eps))
		b.Mean[c], b.InvStd[c] = mu, inv
		bnNorm(xs, ys, n, b.Plane, stride, mu, inv, gamma[c], beta[c])
	}
}

// Backward computes dx, dγ and dβ from dy for the channels [lo, hi), after
// a training Forward of the same x: dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)).
func (b *BatchNorm) Backward(x, gamma, dy, dx, dGamma, dBeta []float32, lo, hi int) {
	m := float32(b.Batch * b.Plane)
	n, stride := b.Batch, b.Channels*b.Plane
	for c := lo; c < hi; c++ {
		xs, dys := b.channel(x, c), b.channel(dy, c)
		mu, inv := b.Mean[c], b.InvStd[c]
		sumDy, sumDyXhat := bnSumDot(dys, xs, n, b.Plane, stride, mu, inv)
		dGamma[c], dBeta[c] = float32(sumDyXhat), float32(sumDy)
		k := float32(float64(gamma[c]) * float64(inv) / float64(m))
		g := bnGradConsts{Mu: mu, Inv: inv, M: m, SumDy: float32(sumDy), SumDyXhat: float32(sumDyXhat), K: k}
		bnGrad(dys, xs, b.channel(dx, c), n, b.Plane, stride, &g)
	}
}

// bnGradConsts are the per-channel constants of bnGradGo. The assembly
// kernels read them by offset: keep the order and the float32 types.
type bnGradConsts struct {
	Mu, Inv, M, SumDy, SumDyXhat, K float32
}

// bnKernels is one path's batch-norm kernels (batchnorm_amd64.go,
// kernels_arm64.go), each the Go loop named after it over the same
// spans, passed as pointers to their first floats; n and plane are at
// least 1.
type bnKernels struct {
	sums   func(x *float32, n, plane, stride int) (sum, sumSq float64)
	sumDot func(d, x *float32, n, plane, stride int, mu, inv float32) (sum, dot float64)
	norm   func(x, y *float32, n, plane, stride int, mu, inv, gamma, beta float32)
	grad   func(dy, x, dx *float32, n, plane, stride int, k *bnGradConsts)
}

// bnSums returns Σx and Σx² over the n planes of a channel's span x; see
// bnSumsGo.
func bnSums(x []float32, n, plane, stride int) (sum, sumSq float64) {
	_ = x[bnSpan(n, plane, stride)-1] // the kernels trust the lengths
	if k := bnPath(); k != nil {
		return k.sums(&x[0], n, plane, stride)
	}
	return bnSumsGo(x, n, plane, stride)
}

// bnSumDot returns Σd and Σd·x̂; see bnSumDotGo.
func bnSumDot(d, x []float32, n, plane, stride int, mu, inv float32) (sum, dot float64) {
	last := bnSpan(n, plane, stride) - 1
	_, _ = d[last], x[last]
	if k := bnPath(); k != nil {
		return k.sumDot(&d[0], &x[0], n, plane, stride, mu, inv)
	}
	return bnSumDotGo(d, x, n, plane, stride, mu, inv)
}

// bnNorm writes y; see bnNormGo.
func bnNorm(x, y []float32, n, plane, stride int, mu, inv, gamma, beta float32) {
	last := bnSpan(n, plane, stride) - 1
	_, _ = x[last], y[last]
	if k := bnPath(); k != nil {
		k.norm(&x[0], &y[0], n, plane, stride, mu, inv, gamma, beta)
		return
	}
	bnNormGo(x, y, n, plane, stride, mu, inv, gamma, beta)
}

// bnGrad writes dx; see bnGradGo.
func bnGrad(dy, x, dx []float32, n, plane, stride int, k *bnGradConsts) {
	last := bnSpan(n, plane, stride) - 1
	_, _, _ = dy[last], x[last], dx[last]
	if p := bnPath(); p != nil {
		p.grad(&dy[0], &x[0], &dx[0], n, plane, stride, k)
		return
	}
	bnGradGo(dy, x, dx, n, plane, stride, k)
}

// bnSumsGo returns Σx and Σx² over n planes of x, plane floats each and
// stride apart: float32 within a plane, float64 across planes.
func bnSumsGo(x []float32, n, plane, stride int) (sum, sumSq float64) {
	for i := range n {
		s, s2 := sumAndSquares(x[i*stride : i*stride+plane])
		sum, sumSq = sum+float64(s), sumSq+float64(s2)
	}
	return sum, sumSq
}

// bnSumDotGo returns Σd and Σd·x̂, x̂ = (x−μ)·inv, over n planes of d and
// x, as bnSumsGo.
func bnSumDotGo(d, x []float32, n, plane, stride int, mu, inv float32) (sum, dot float64) {
	for i := range n {
		s, sx := sumAndDot(d[i*stride:i*stride+plane], x[i*stride:i*stride+plane], mu, inv)
		sum, dot = sum+float64(s), dot+float64(sx)
	}
	return sum, dot
}

// bnNormGo writes y = γ·x̂ + β, x̂ = (x−μ)·inv, over n planes of x, as
// bnSumsGo. The float32 conversion rounds the product, so that no compiler
// fuses it into a multiply-add (arm64's does) and the kernels match bit
// for bit.
func bnNormGo(x, y []float32, n, plane, stride int, mu, inv, gamma, beta float32) {
	for i := range n {
		off := i * stride
		xs, ys := x[off:off+plane], y[off:off+plane]
		for j, v := range xs {
			ys[j] = float32(gamma*((v-mu)*inv)) + beta
		}
	}
}

// bnGradGo writes dx = K·(M·dy − SumDy − x̂·SumDyXhat), x̂ = (x−Mu)·Inv as
// in bnNormGo, over n planes, as bnSumsGo, rounding each product as
// bnNormGo.
func bnGradGo(dy, x, dx []float32, n, plane, stride int, k *bnGradConsts) {
	for i := range n {
		off := i * stride
		ds := dy[off : off+plane]
		xs, dxs := x[off:off+plane], dx[off:off+plane]
		for j, d := range ds {
			h := (xs[j] - k.Mu) * k.Inv
			dxs[j] = k.K * (float32(k.M*d) - k.SumDy - float32(h*k.SumDyXhat))
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

// sumAndDot returns Σd and Σd·x̂, x̂ = (x−μ)·inv, in float32 over len(d),
// as sumAndSquares.
func sumAndDot(d, x []float32, mu, inv float32) (sum, dot float32) {
	x = x[:len(d)]
	h := func(v float32) float32 { return (v - mu) * inv }
	var s0, s1, s2, s3, p0, p1, p2, p3 float32
	i := 0
	for ; i+4 <= len(d); i += 4 {
		a, b := d[i:i+4:i+4], x[i:i+4:i+4]
		s0, s1, s2, s3 = s0+a[0], s1+a[1], s2+a[2], s3+a[3]
		p0, p1, p2, p3 = p0+a[0]*h(b[0]), p1+a[1]*h(b[1]), p2+a[2]*h(b[2]), p3+a[3]*h(b[3])
	}
	for ; i < len(d); i++ {
		s0, p0 = s0+d[i], p0+d[i]*h(x[i])
	}
	return (s0 + s1) + (s2 + s3), (p0 + p1) + (p2 + p3)
}
