package kernels

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, k *AdamStep)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, k *AdamStep)

// Apply updates the parameters p in place from their gradients g and the
// moments m and v, which it updates too; see applyGo for the formula. The
// assembly kernels do the same operations in the same order, so results
// are bit-identical on every path.
func (k *AdamStep) Apply(p, g, m, v []float32) {
	switch {
	case k.Decay != 0: // AdamW's decoupled decay: the assembly kernels have none
		k.applyGo(p, g, m, v)
	case avx512 && len(p) > 0:
		_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
		adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), k)
	case avx2 && len(p) >= 8:
		_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
		n := len(p) &^ 7
		adamAVX2(&p[0], &g[0], &m[0], &v[0], n, k)
		k.applyGo(p[n:], g[n:], m[n:], v[n:])
	default:
		k.applyGo(p, g, m, v)
	}
}
