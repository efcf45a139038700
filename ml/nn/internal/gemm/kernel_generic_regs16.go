//go:build amd64 || 386 || s390x

package gemm

// generic is the portable path; these architectures have at most 16
// floating-point registers, which a 2×4 tile fits (see kernel_generic.go).
// Its panels are small (2×512 and 4×512 floats fit L1 together), so K
// blocks of up to 512 halve the tile calls and the passes over C that the
// default 256 costs: +3% GFLOP per CPU-second on the network's three
// largest products.
var generic = &kernel{name: "generic", mr: 2, nr: 4, kc: 512, micro: micro2x4, partialTiles: true}
