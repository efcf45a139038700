package kernels

import "math/rand/v2"

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

// Update is the fused one-pass update of one parameter p from its
// gradients g and state m, v by the optimiser kind ("adam", "adamw" or
// "sgd"): Adam's step k, AdamW's with decoupled decay lr·wd, or SGD's
// Nesterov step (its momentum buffer in m).
func Update(kind string, k *AdamStep, lr, wd, momentum float64) func(p, g, m, v []float32) {
	switch {
	case kind == "adamw" && wd != 0:
		w := *k
		w.Decay = float32(lr * wd)
		return w.Apply
	case kind == "sgd":
		s := &NesterovStep{LR: float32(lr), Momentum: float32(momentum), WeightDecay: float32(wd)}
		return func(p, g, m, _ []float32) { s.Apply(p, g, m) }
	}
	return k.Apply
}

// DropoutMask fills mask for inverted dropout of probability p: each value
// is 0 with probability p, else 1/(1-p).
func DropoutMask(mask []float32, p float64, rng *rand.Rand) {
	keep := float32(1 / (1 - p))
	for i := range mask {
		mask[i] = 0
		if rng.Float64() >= p {
			mask[i] = keep
		}
	}
}
