// Package inspect looks inside a trained network, one image at a time: the
// first layer's filters, the activation maps of both convolution layers,
// and the saliency of the input (the gradient of the top class's score with
// respect to each pixel). It recomputes the network of package nn from its
// parameters in plain float64 Go, so that it needs no compiled graph and
// can run the backward pass down to the input, which nn's graphs stop
// short of. It knows nothing of HTTP or files.
package inspect

import (
	"fmt"
	"math"

	"github.com/fmnist/trainer/ml/nn"
)

const (
	// Side is the width and height of an input image.
	Side = 28
	// Pixels is the number of values of an input image.
	Pixels  = Side * Side
	classes = 10
	// bnEps is batch norm's ε, as nn's (PyTorch's default).
	bnEps = 1e-5
)

// Network is a trained network's parameters in float64, ready to run one
// image forward and back. It is read-only, so safe for concurrent use.
type Network struct {
	Conv1, Conv2, Dense int // widths, as nn.Spec's

	conv1W, conv1B []float64 // [Conv1][1][3][3], [Conv1]
	conv2W, conv2B []float64 // [Conv2][Conv1][3][3], [Conv2]
	bn1, bn2       *affine   // nil without batch norm
	fc1W, fc1B     []float64 // [Dense][Conv2*7*7], [Dense]
	fc2W, fc2B     []float64 // [10][Dense], [10]
}

// affine is batch norm at inference, folded into y = scale·x + shift per
// channel.
type affine struct{ scale, shift []float64 }

// New builds a Network from parameters in nn.Network.Params order (as a
// checkpoint holds them). Missing parameters or wrong shapes are an error.
func New(params []nn.Param) (*Network, error) {
	byName := map[string]nn.Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	c1, c2, f1 := byName["conv1.weight"].Shape, byName["conv2.weight"].Shape, byName["fc1.weight"].Shape
	if len(c1) != 4 || len(c2) != 4 || len(f1) != 2 {
		return nil, fmt.Errorf("inspect: the parameters lack conv1, conv2 or fc1 weights of the expected ranks")
	}
	n := &Network{Conv1: c1[0], Conv2: c2[0], Dense: f1[0]}
	flat := n.Conv2 * 7 * 7
	get := func(name string, size int) ([]float64, error) {
		p, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("inspect: no parameter %s", name)
		}
		if len(p.Data) != size {
			return nil, fmt.Errorf("inspect: parameter %s has %d values, want %d", name, len(p.Data), size)
		}
		out := make([]float64, size)
		for i, v := range p.Data {
			out[i] = float64(v)
		}
		return out, nil
	}
	var err error
	for _, w := range []struct {
		dst  *[]float64
		name string
		size int
	}{
		{&n.conv1W, "conv1.weight", n.Conv1 * 9}, {&n.conv1B, "conv1.bias", n.Conv1},
		{&n.conv2W, "conv2.weight", n.Conv2 * n.Conv1 * 9}, {&n.conv2B, "conv2.bias", n.Conv2},
		{&n.fc1W, "fc1.weight", n.Dense * flat}, {&n.fc1B, "fc1.bias", n.Dense},
		{&n.fc2W, "fc2.weight", classes * n.Dense}, {&n.fc2B, "fc2.bias", classes},
	} {
		if *w.dst, err = get(w.name, w.size); err != nil {
			return nil, err
		}
	}
	if _, ok := byName["bn1.weight"]; ok {
		if n.bn1, err = foldBatchNorm(get, "bn1.", n.Conv1); err != nil {
			return nil, err
		}
		if n.bn2, err = foldBatchNorm(get, "bn2.", n.Conv2); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func foldBatchNorm(get func(string, int) ([]float64, error), prefix string, channels int) (*affine, error) {
	var v [4][]float64
	for i, name := range []string{"weight", "bias", "running_mean", "running_var"} {
		var err error
		if v[i], err = get(prefix+name, channels); err != nil {
			return nil, err
		}
	}
	a := &affine{scale: make([]float64, channels), shift: make([]float64, channels)}
	for c := range channels {
		a.scale[c] = v[0][c] / math.Sqrt(v[3][c]+bnEps)
		a.shift[c] = v[1][c] - v[2][c]*a.scale[c]
	}
	return a, nil
}

// Trace is one image's way through the network.
type Trace struct {
	Input []float64 // the standardised input, 28×28
	// Conv1 and Conv2 are the activation maps after each convolution's
	// ReLU, before pooling: Conv1 [Conv1][28·28], Conv2 [Conv2][14·14].
	Conv1, Conv2 [][]float64
	Logits       [classes]float64
	Probs        [classes]float64

	pooled1, pooled2 []float64 // after pooling and batch norm: the next layer's input
	arg1, arg2       []int     // per pooled value, the index in its plane of the max, or -1 (all ≤ 0)
	hidden           []float64 // after fc1's ReLU
}

// Top is the most probable class (the first of equal ones).
func (t *Trace) Top() int {
	best := 0
	for c, p := range t.Probs {
		if p > t.Probs[best] {
			best = c
		}
	}
	return best
}

// Forward runs a standardised image (see data.NormalizePixel) through the
// network.
func (n *Network) Forward(x []float64) (*Trace, error) {
	if len(x) != Pixels {
		return nil, fmt.Errorf("inspect: an image has %d values, got %d", Pixels, len(x))
	}
	t := &Trace{Input: x}
	t.Conv1 = convReLU(x, 1, n.Conv1, Side, n.conv1W, n.conv1B)
	t.pooled1, t.arg1 = pool(t.Conv1, Side)
	n.bn1.apply(t.pooled1, 14*14)
	t.Conv2 = convReLU(t.pooled1, n.Conv1, n.Conv2, 14, n.conv2W, n.conv2B)
	t.pooled2, t.arg2 = pool(t.Conv2, 14)
	n.bn2.apply(t.pooled2, 7*7)

	flat := len(t.pooled2)
	t.hidden = make([]float64, n.Dense)
	for j := range n.Dense {
		s := n.fc1B[j]
		for i, v := range t.pooled2 {
			s += n.fc1W[j*flat+i] * v
		}
		t.hidden[j] = max(s, 0)
	}
	for k := range classes {
		s := n.fc2B[k]
		for j, h := range t.hidden {
			s += n.fc2W[k*n.Dense+j] * h
		}
		t.Logits[k] = s
	}
	t.Probs = softmax(t.Logits)
	return t, nil
}

// Saliency returns the gradient of class's logit (its score before the
// softmax) with respect to each standardised input value of the traced
// image: how much, and which way, each pixel sways that class.
func (n *Network) Saliency(t *Trace, class int) ([]float64, error) {
	if class < 0 || class >= classes {
		return nil, fmt.Errorf("inspect: class %d is not one of 0-%d", class, classes-1)
	}
	dHidden := make([]float64, n.Dense)
	for j := range n.Dense {
		if t.hidden[j] > 0 {
			dHidden[j] = n.fc2W[class*n.Dense+j]
		}
	}
	flat := len(t.pooled2)
	dPooled2 := make([]float64, flat)
	for j, d := range dHidden {
		if d == 0 {
			continue
		}
		row := n.fc1W[j*flat : (j+1)*flat]
		for i, w := range row {
			dPooled2[i] += d * w
		}
	}
	n.bn2.backward(dPooled2, 7*7)
	dConv2 := unpool(dPooled2, t.arg2, n.Conv2, 14)
	dPooled1 := convBackInput(dConv2, n.Conv1, n.Conv2, 14, n.conv2W)
	n.bn1.backward(dPooled1, 14*14)
	dConv1 := unpool(dPooled1, t.arg1, n.Conv1, Side)
	return convBackInput(dConv1, 1, n.Conv1, Side, n.conv1W), nil
}

// convReLU is a 3×3 convolution (padding 1, stride 1, PyTorch's
// cross-correlation) of x ([inC][side·side]) followed by ReLU.
func convReLU(x []float64, inC, outC, side int, w, b []float64) [][]float64 {
	plane, window := side*side, taps(side)
	out := make([][]float64, outC)
	for f := range outC {
		o := make([]float64, plane)
		for at := range plane {
			s := b[f]
			for c := range inC {
				in, k := x[c*plane:(c+1)*plane], w[(f*inC+c)*9:(f*inC+c+1)*9]
				for _, tp := range window[at] {
					s += k[tp.k] * in[tp.i]
				}
			}
			o[at] = max(s, 0)
		}
		out[f] = o
	}
	return out
}

// convBackInput is the gradient of a 3×3 convolution's input ([inC][side²])
// given the gradient of its output d ([outC][side²]).
func convBackInput(d [][]float64, inC, outC, side int, w []float64) []float64 {
	plane, window := side*side, taps(side)
	dx := make([]float64, inC*plane)
	for f := range outC {
		for at, g := range d[f] {
			if g == 0 {
				continue
			}
			for c := range inC {
				in, k := dx[c*plane:(c+1)*plane], w[(f*inC+c)*9:(f*inC+c+1)*9]
				for _, tp := range window[at] {
					in[tp.i] += g * k[tp.k]
				}
			}
		}
	}
	return dx
}

// tap is one weight of a 3×3 kernel (k, row-major) and the input pixel i
// it meets.
type tap struct{ k, i int }

// taps lists, for each output pixel of a side×side plane, the kernel
// weights whose input pixel lies inside the plane (padding 1 is zeros, so
// the others add nothing).
func taps(side int) [][]tap {
	out := make([][]tap, side*side)
	for at := range out {
		y, x := at/side, at%side
		for ky := range 3 {
			for kx := range 3 {
				if iy, ix := y+ky-1, x+kx-1; iy >= 0 && iy < side && ix >= 0 && ix < side {
					out[at] = append(out[at], tap{k: ky*3 + kx, i: iy*side + ix})
				}
			}
		}
	}
	return out
}

// pool is 2×2 max-pooling (stride 2) of ReLU outputs, flattened NCHW. As in
// nn, the first of equal maxima wins; a window of zeros passes no gradient.
func pool(maps [][]float64, side int) (out []float64, arg []int) {
	half := side / 2
	out = make([]float64, len(maps)*half*half)
	arg = make([]int, len(out))
	for c, m := range maps {
		for y := range half {
			for x := range half {
				best, at := 0.0, -1
				for _, i := range [4]int{2*y*side + 2*x, 2*y*side + 2*x + 1, (2*y+1)*side + 2*x, (2*y+1)*side + 2*x + 1} {
					if m[i] > best {
						best, at = m[i], i
					}
				}
				o := (c*half+y)*half + x
				out[o], arg[o] = best, at
			}
		}
	}
	return out, arg
}

// unpool sends pooled gradients d to the positions that won; ReLU's
// gradient is folded in (a winner is > 0).
func unpool(d []float64, arg []int, channels, side int) [][]float64 {
	plane, half := side*side, side/2
	out := make([][]float64, channels)
	for c := range channels {
		out[c] = make([]float64, plane)
		for i := range half * half {
			o := c*half*half + i
			if arg[o] >= 0 {
				out[c][arg[o]] += d[o]
			}
		}
	}
	return out
}

func (a *affine) apply(x []float64, plane int) {
	if a == nil {
		return
	}
	for i := range x {
		c := i / plane
		x[i] = a.scale[c]*x[i] + a.shift[c]
	}
}

func (a *affine) backward(d []float64, plane int) {
	if a == nil {
		return
	}
	for i := range d {
		d[i] *= a.scale[i/plane]
	}
}

func softmax(logits [classes]float64) (p [classes]float64) {
	top := logits[0]
	for _, v := range logits {
		top = max(top, v)
	}
	var sum float64
	for k, v := range logits {
		p[k] = math.Exp(v - top)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
	}
	return p
}
