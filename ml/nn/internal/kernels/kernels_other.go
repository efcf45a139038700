//go:build !amd64 && !arm64

// Off amd64 and arm64 every kernel is its portable Go loop.

package kernels

// PoolPlane applies bias, ReLU and 2×2 max-pooling to one h×w plane of src,
// writing the (h/2)×(w/2) maxima to out and in arg which window position
// won (0..3, row-major), or NoGrad where ReLU left zero.
func PoolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	poolPlaneGo(src, bias, h, w, out, arg)
}

// UnpoolPlane writes the h×w gradient plane dst from the pooled gradient g
// and the window positions arg, and adds the gradients that passed to sums.
func UnpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	unpoolPlaneGo(g, arg, h, w, dst, sums)
}

// Apply updates the parameters p in place; see applyGo.
func (k *AdamStep) Apply(p, g, m, v []float32) { k.applyGo(p, g, m, v) }

// AddTo adds src to dst element-wise; src must be at least as long.
func AddTo(dst, src []float32) { addToGo(dst, src[:len(dst)]) }

// SparseWeightGrad adds one image's weight gradient of one output channel
// to dwT; see sparseWeightGradGo.
func SparseWeightGrad(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	sparseWeightGradGo(g, arg, xp, h, w, dwT)
}

// SparseInputGrad adds one output channel's input gradient to dxp; see
// sparseInputGradGo.
func SparseInputGrad(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	sparseInputGradGo(g, arg, wT, h, w, dxp)
}

// PadChannelsLast copies one NCHW image into dst as zero-padded
// channels-last.
func PadChannelsLast(src []float32, c, h, w int, dst []float32) { padChannelsLastGo(src, c, h, w, dst) }

// UnpadChannelsLast is the inverse of PadChannelsLast.
func UnpadChannelsLast(src []float32, c, h, w int, dst []float32) {
	unpadChannelsLastGo(src, c, h, w, dst)
}

// bnPath returns nil: the batch-norm loops are Go.
func bnPath() *bnKernels { return nil }
