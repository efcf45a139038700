//go:build !(amd64 || 386 || s390x)

package gemm

// generic is the portable path; these architectures have 32 floating-point
// registers, which a 4×4 tile fits (see kernel_generic.go).
var generic = &kernel{name: "generic", mr: 4, nr: 4, micro: micro4x4, partialTiles: true}
