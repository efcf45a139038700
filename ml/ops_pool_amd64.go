package ml

// poolPlaneAVX512 pools rows row pairs of width w (even, at least 2) from
// src into rows×(w/2) outputs and window positions; see ops_pool_amd64.s.
//
//go:noescape
func poolPlaneAVX512(src, out *float32, arg *uint8, rows, w int, bias float32)

// poolPlane is poolPlaneGo, in AVX-512 where the CPU has it.
func poolPlane(src []float32, bias float32, h, w int, out []float32, arg []uint8) {
	if !hasAVX512 {
		poolPlaneGo(src, bias, h, w, out, arg)
		return
	}
	// The kernel trusts the lengths; check them once here.
	_, _, _ = src[h*w-1], out[h*w/4-1], arg[h*w/4-1]
	poolPlaneAVX512(&src[0], &out[0], &arg[0], h/2, w, bias)
}

// unpoolPlaneAVX512 is unpoolPlaneGo for rows row pairs of width w; see
// ops_pool_amd64.s.
//
//go:noescape
func unpoolPlaneAVX512(grad *float32, arg *uint8, dst *float32, rows, w int, sums *[16]float32)

// unpoolPlane is unpoolPlaneGo, in AVX-512 where the CPU has it (which adds
// to sums in a different order).
func unpoolPlane(g []float32, arg []uint8, h, w int, dst []float32, sums *[16]float32) {
	if !hasAVX512 {
		unpoolPlaneGo(g, arg, h, w, dst, sums)
		return
	}
	_, _, _ = g[h*w/4-1], arg[h*w/4-1], dst[h*w-1]
	unpoolPlaneAVX512(&g[0], &arg[0], &dst[0], h/2, w, sums)
}
