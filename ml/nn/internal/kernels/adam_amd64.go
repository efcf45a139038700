package kernels

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, k *AdamStep)

// Apply updates the parameters p in place from their gradients g and the
// moments m and v, which it updates too; see applyGo for the formula. The
// AVX-512 kernel does the same operations in the same order, so results
// are bit-identical on every path.
func (k *AdamStep) Apply(p, g, m, v []float32) {
	if !avx512 || len(p) == 0 || k.Decay != 0 {
		k.applyGo(p, g, m, v)
		return
	}
	_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
	adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), k)
}
