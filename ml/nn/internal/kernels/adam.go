package kernels

import "math"

// AdamStep holds the constants of one Adam step. The assembly kernel reads
// them by offset: keep the order and the float32 types.
type AdamStep struct {
	B2, OneMinusB1, OneMinusB2 float32
	StepSize, InvBc2Sqrt, Eps  float32
	// Decay is AdamW's decoupled weight decay, lr·wd: the weight first
	// shrinks by Decay·p. Only the Go loop does it; 0 is plain Adam.
	Decay float32
}

// applyGo updates p in place, in PyTorch's order of operations:
// p -= decay·p (AdamW); m += (1-β1)(g-m); v = β2·v + (1-β2)·g²;
// p -= stepSize·m / (√v/√bc2 + ε).
func (k *AdamStep) applyGo(p, g, m, v []float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	// The float32 conversions round each product, so that no compiler
	// fuses it into a multiply-add (arm64's does): the assembly kernels
	// round the same way and match bit for bit.
	for j, gj := range g {
		mj := m[j] + float32(k.OneMinusB1*(gj-m[j]))
		vj := float32(k.B2*v[j]) + float32(k.OneMinusB2*gj*gj)
		m[j], v[j] = mj, vj
		denom := float32(float32(math.Sqrt(float64(vj)))*k.InvBc2Sqrt) + k.Eps
		// With Decay 0, p - 0 is p: plain Adam stays bit-identical to the kernels.
		p[j] = p[j] - float32(k.Decay*p[j]) - float32(k.StepSize*mj)/denom
	}
}
