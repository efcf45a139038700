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
