//go:build amd64 || 386 || s390x

package gemm

// generic is the portable path; these architectures have at most 16
// floating-point registers, which a 2×4 tile fits (see kernel_generic.go).
var generic = &kernel{name: "generic", mr: 2, nr: 4, micro: micro2x4, partialTiles: true}
