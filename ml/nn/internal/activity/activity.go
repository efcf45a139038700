// Package activity measures what a training step's buffers say about the
// network's health: how many ReLU units were silent for a whole batch, and
// how large the gradient is. Both read buffers the step already filled, so a
// sampled step costs one pass over them and no allocation.
package activity

import "math"

// DeadShare returns the share of units whose output is exactly zero for
// every image of the batch. data is laid out [images][units][plane] (NCHW for
// a convolution's channels, plane 1 for a dense layer); a unit is alive as
// soon as one of its values is not zero, so a healthy layer is decided in a
// few reads per unit.
func DeadShare(data []float32, images, units, plane int) float64 {
	if images < 1 || units < 1 || plane < 1 || len(data) < images*units*plane {
		return 0
	}
	alive := make([]bool, units) // units × 1 byte: negligible next to the step
	left := units
	for n := 0; n < images && left > 0; n++ {
		img := data[n*units*plane : (n+1)*units*plane]
		for u := range units {
			if alive[u] {
				continue
			}
			for _, v := range img[u*plane : (u+1)*plane] {
				if v != 0 {
					alive[u] = true
					left--
					break
				}
			}
		}
	}
	return float64(left) / float64(units)
}

// SumSquares returns Σv² in float64, summed in four float32 lanes per block
// of 1024 so that the loop vectorises and rounding stays small.
func SumSquares(v []float32) float64 {
	const block = 1024
	total := 0.0
	for len(v) > 0 {
		b := v[:min(block, len(v))]
		v = v[len(b):]
		var s0, s1, s2, s3 float32
		i := 0
		for ; i+4 <= len(b); i += 4 {
			s0 += b[i] * b[i]
			s1 += b[i+1] * b[i+1]
			s2 += b[i+2] * b[i+2]
			s3 += b[i+3] * b[i+3]
		}
		for ; i < len(b); i++ {
			s0 += b[i] * b[i]
		}
		total += float64(s0) + float64(s1) + float64(s2) + float64(s3)
	}
	return total
}

// Norm is the L2 norm of several vectors taken together.
func Norm(vs ...[]float32) float64 {
	sum := 0.0
	for _, v := range vs {
		sum += SumSquares(v)
	}
	return math.Sqrt(sum)
}
