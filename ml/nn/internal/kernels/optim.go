package kernels

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
