package kernels

// poolPlaneAVX512 and poolPlaneAVX2 pool rows row pairs of width w (even,
// at least 2) from src into rows×(w/2) outputs and window positions; see
// pool_amd64.s and pool_avx2_amd64.s.
//
//go:noescape
func poolPlaneAVX512(src, out *float32, arg *uint8, rows, w int, bias float32)

//go:noescape
func poolPlaneAVX2(src, out *float32, arg *uint8, rows, w int, bias float32)

// PoolPlane applies bias, ReLU and 2×2 max-pooling to one h×w plane of src,
// writing the (h/2)×(w/2) maxima to out and in arg which window position
// won (0..3, row-major), or NoGrad where ReLU left zero.
func PoolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	if !avx512 && !avx2 || h < 2 || w < 2 {
		poolPlaneGo(src, bias, h, w, out, arg)
		return
	}
	// The kernels trust the lengths; check them once here.
	_, _, _ = src[h*w-1], out[h*w/4-1], arg[h*w/4-1]
	if avx512 {
		poolPlaneAVX512(&src[0], &out[0], &arg[0], h/2, w, bias)
		return
	}
	poolPlaneAVX2(&src[0], &out[0], &arg[0], h/2, w, bias)
}

// unpoolPlaneAVX512 and unpoolPlaneAVX2 are unpoolPlaneGo for rows row
// pairs of width w; see pool_amd64.s and pool_avx2_amd64.s.
//
//go:noescape
func unpoolPlaneAVX512(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)

//go:noescape
func unpoolPlaneAVX2(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)

// UnpoolPlane writes the h×w gradient plane dst from the pooled gradient g
// and the window positions arg: each gradient goes to the position that
// won, through the ReLU, and zeros elsewhere. It adds the gradients that
// passed to sums, lane by lane (their total is the bias gradient).
func UnpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	if !avx512 && !avx2 || h < 2 || w < 2 {
		unpoolPlaneGo(g, arg, h, w, dst, sums)
		return
	}
	_, _, _ = g[h*w/4-1], arg[h*w/4-1], dst[h*w-1]
	if avx512 {
		unpoolPlaneAVX512(&g[0], &arg[0], &dst[0], h/2, w, sums)
		return
	}
	unpoolPlaneAVX2(&g[0], &arg[0], &dst[0], h/2, w, sums)
}
