package kernels

import "math"

// AdamWStep is one step of AdamW (decoupled weight decay, as
// torch.optim.AdamW): the weight first shrinks by Decay = 1 - lr·wd, then
// takes Adam's step. One pass over the parameter, like AdamStep.
type AdamWStep struct {
	AdamStep
	Decay float32
}

// Apply updates p, m and v in place from the gradients g.
func (k *AdamWStep) Apply(p, g, m, v []float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j, gj := range g {
		mj := m[j] + k.OneMinusB1*(gj-m[j])
		vj := k.B2*v[j] + k.OneMinusB2*gj*gj
		m[j], v[j] = mj, vj
		denom := float32(math.Sqrt(float64(vj)))*k.InvBc2Sqrt + k.Eps
		p[j] = p[j]*k.Decay - k.StepSize*mj/denom
	}
}

// NesterovStep is one step of SGD with Nesterov momentum and L2 weight
// decay, as torch.optim.SGD(nesterov=True): g += wd·p; buf = μ·buf + g;
// p -= lr·(g + μ·buf). One pass over the parameter.
type NesterovStep struct {
	LR, Momentum, WeightDecay float32
}

// Apply updates p and the momentum buffer buf in place from the gradients g.
func (k *NesterovStep) Apply(p, g, buf []float32) {
	g, buf = g[:len(p)], buf[:len(p)]
	for j, gj := range g {
		gj += k.WeightDecay * p[j]
		b := k.Momentum*buf[j] + gj
		buf[j] = b
		p[j] -= k.LR * (gj + k.Momentum*b)
	}
}
