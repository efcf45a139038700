//go:build !amd64

package ml

// apply updates p in place; see applyGo.
func (k *adamStep) apply(p, g, m, v []float32) { k.applyGo(p, g, m, v) }
