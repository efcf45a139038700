package nn

import "github.com/fmnist/trainer/ml/nn/internal/kernels"

// The ReLU and 2×2 max-pool halves of the fused convolution layer, over a
// chunk of images; the per-plane loops are in package kernels.

// biasReluMaxPool turns a chunk's convolution output pre (channel-major:
// [F][images*h*w]) into pooled NCHW outputs max(relu(window + bias)) and
// records in argmax which window position (0..3, row-major) won, or
// kernels.NoGrad. As in PyTorch the first of equal maxima wins and NaN
// propagates.
func biasReluMaxPool(pre, bias []float32, images, channels, h, w int, out []float32, argmax []uint8) {
	plane := h * w
	outPlane := plane / 4
	for p := range channels * images {
		f, i := p/images, p%images
		at := (i*channels + f) * outPlane
		kernels.PoolPlane(pre[p*plane:(p+1)*plane], bias[f], h, w, out[at:at+outPlane], argmax[at:at+outPlane])
	}
}

// unpoolBias spreads pooled gradients dy (NCHW) back to the window positions
// that won, through the ReLU, writing all of dPre ([F][images*h*w]), and
// adds each channel's passed gradient to db.
func unpoolBias(dy []float32, argmax []uint8, images, channels, h, w int, dPre, db []float32) {
	plane := h * w
	outPlane := plane / 4
	for f := range channels {
		var sums [16]float32
		for i := range images {
			at := (i*channels + f) * outPlane
			kernels.UnpoolPlane(dy[at:at+outPlane], argmax[at:at+outPlane], h, w, dPre[(f*images+i)*plane:][:plane], &sums)
		}
		var sum float32
		for _, s := range sums {
			sum += s
		}
		db[f] += sum
	}
}
