package kernels

// The batch-norm kernels of batchnorm_amd64.s and batchnorm_avx2_amd64.s;
// see bnKernels.

//go:noescape
func bnSumsAVX512(x *float32, n, plane, stride int) (sum, sumSq float64)

//go:noescape
func bnSumDotAVX512(d, x *float32, n, plane, stride int, mu, inv float32) (sum, dot float64)

//go:noescape
func bnNormAVX512(x, y *float32, n, plane, stride int, mu, inv, gamma, beta float32)

//go:noescape
func bnGradAVX512(dy, x, dx *float32, n, plane, stride int, k *bnGradConsts)

//go:noescape
func bnSumsAVX2(x *float32, n, plane, stride int) (sum, sumSq float64)

//go:noescape
func bnSumDotAVX2(d, x *float32, n, plane, stride int, mu, inv float32) (sum, dot float64)

//go:noescape
func bnNormAVX2(x, y *float32, n, plane, stride int, mu, inv, gamma, beta float32)

//go:noescape
func bnGradAVX2(dy, x, dx *float32, n, plane, stride int, k *bnGradConsts)

var (
	bnAVX512 = bnKernels{bnSumsAVX512, bnSumDotAVX512, bnNormAVX512, bnGradAVX512}
	bnAVX2   = bnKernels{bnSumsAVX2, bnSumDotAVX2, bnNormAVX2, bnGradAVX2}
)

// bnPath returns the batch-norm kernels of the path, or nil for the Go
// loops.
func bnPath() *bnKernels {
	switch {
	case avx512:
		return &bnAVX512
	case avx2:
		return &bnAVX2
	}
	return nil
}
