package kernels

import "math"

// The ReLU and 2×2 max-pool halves of the fused convolution layer. Both
// loops are branch-free: on real activations the winning window position is
// random, and mispredicted branches made them cost as much as the matrix
// multiplies. After ReLU every value is ≥ 0, and non-negative floats order
// like their bit patterns, so the comparisons run on uint32 and compile to
// conditional moves.

// NoGrad marks a pooled output that ReLU clamped to zero: no gradient flows
// back through it. Window positions that won are 0..3, row-major.
const NoGrad = 4

const (
	signBit  = 0x80000000
	infBits  = 0x7f800000
	quietNaN = 0x7fc00000
)

// poolPlaneGo pools one h×w plane of src (plus bias) into out and records
// the winning positions in arg. As in PyTorch the first of equal maxima wins
// and NaN propagates.
func poolPlaneGo(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	w2 := w / 2
	for y := range h / 2 {
		r0 := src[2*y*w : (2*y+1)*w]
		r1 := src[(2*y+1)*w : (2*y+2)*w]
		o := out[y*w2 : (y+1)*w2]
		a := arg[y*w2 : (y+1)*w2]
		for x := range o {
			u0 := math.Float32bits(r0[2*x] + bias)
			u1 := math.Float32bits(r0[2*x+1] + bias)
			u2 := math.Float32bits(r1[2*x] + bias)
			u3 := math.Float32bits(r1[2*x+1] + bias)
			m, v1, v2, v3 := reluBits(u0), reluBits(u1), reluBits(u2), reluBits(u3)
			var won uint32
			won = pick(won, 1, v1 > m)
			m = max(m, v1)
			won = pick(won, 2, v2 > m)
			m = max(m, v2)
			won = pick(won, 3, v3 > m)
			m = max(m, v3)
			won = pick(won, NoGrad, m == 0)
			m = pick(m, quietNaN, max(u0&^signBit, u1&^signBit, u2&^signBit, u3&^signBit) > infBits)
			o[x] = math.Float32frombits(m)
			a[x] = uint8(won)
		}
	}
}

// reluBits is max(v, 0) for the bit pattern of v (NaN aside).
func reluBits(u uint32) uint32 { return u &^ uint32(int32(u)>>31) }

// pick returns v if cond, else old, without a branch.
func pick(old, v uint32, cond bool) uint32 {
	return old ^ ((old ^ v) & -bitOf(cond))
}

func bitOf(b bool) uint32 {
	if b { // compiles to SETcc
		return 1
	}
	return 0
}

// unpoolPlaneGo writes one h×w plane of dst from its pooled gradient g and
// window positions arg, and adds the gradient that passed to sums.
func unpoolPlaneGo(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	w2 := w / 2
	// Offset in the window and mask kept of the gradient, by arg value.
	var offset [8]int
	var keep [8]uint32
	offset[1], offset[2], offset[3] = 1, w, w+1
	keep[0], keep[1], keep[2], keep[3] = ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)
	clear(dst)
	for y := range h / 2 {
		rows := dst[2*y*w : (2*y+2)*w]
		gy := g[y*w2 : (y+1)*w2]
		ay := arg[y*w2 : (y+1)*w2]
		for x, v := range gy {
			k := ay[x] & 7
			v = math.Float32frombits(math.Float32bits(v) & keep[k])
			rows[2*x+offset[k]] = v
			sums[x&15] += v
		}
	}
}
