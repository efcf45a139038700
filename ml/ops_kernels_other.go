//go:build !amd64

// Off amd64 every kernel is its portable Go loop.

package ml

func poolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	poolPlaneGo(src, bias, h, w, out, arg)
}

func unpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	unpoolPlaneGo(g, arg, h, w, dst, sums)
}

// hasAVX512 is false off amd64: the AVX-512 paths do not exist there.
var hasAVX512 = false

func sparseWeightGrad(g []float32, arg []uint8, xp []float32, h, w int, dwT []float32) {
	sparseWeightGradGo(g, arg, xp, h, w, dwT)
}

func sparseInputGrad(g []float32, arg []uint8, wT []float32, h, w int, dxp []float32) {
	sparseInputGradGo(g, arg, wT, h, w, dxp)
}

func padChannelsLast(src []float32, c, h, w int, dst []float32) { padChannelsLastGo(src, c, h, w, dst) }

func unpadChannelsLast(src []float32, c, h, w int, dst []float32) {
	unpadChannelsLastGo(src, c, h, w, dst)
}
