//go:build !amd64

package ml

func poolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	poolPlaneGo(src, bias, h, w, out, arg)
}

func unpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	unpoolPlaneGo(g, arg, h, w, dst, sums)
}
