package ml

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, k *adamStep)

// apply updates p in place; see applyGo.
func (k *adamStep) apply(p, g, m, v []float32) {
	if !hasAVX512 || len(p) == 0 {
		k.applyGo(p, g, m, v)
		return
	}
	_, _, _ = g[len(p)-1], m[len(p)-1], v[len(p)-1]
	adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), k)
}
