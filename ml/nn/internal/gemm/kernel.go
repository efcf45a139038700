package gemm

import (
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
)

// envKernel names the environment variable that forces a micro-kernel.
const envKernel = "FMNIST_GEMM"

// kernel is a register-tiled micro-kernel and its tile shape.
type kernel struct {
	name   string
	mr, nr int
	// kc, if set, replaces blockK: the deepest K block whose kc×nr B panel
	// still fits L1 next to the streamed A panel.
	kc int
	// micro multiplies an mr×kc packed A panel (a[p*mr+i] = op(A)[i,p]) by a
	// kc×nr packed B panel (b[p*nr+j] = op(B)[p,j]) and stores
	// c[i*ldc+j] = acc[i,j] + beta*c[i*ldc+j] for i < rows, j < cols.
	// beta == 0 stores acc without reading c. kc must be at least 1.
	// Unless partialTiles is set, rows and cols must be mr and nr.
	micro        func(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)
	partialTiles bool
	// fewRows, if set, is micro for tiles of at most fewRowsMax rows.
	fewRows    func(kc int, a, b, c []float32, ldc int, beta float32, rows, cols int)
	fewRowsMax int
	// packPanels, if set, packs full panels of row-major B:
	// dst[q*rows*nr + p*nr + j] = src[p*ld + q*nr + j].
	packPanels func(dst, src []float32, ld, rows, panels int)
	// dot, if set, computes A·Bᵀ products without packing.
	dot *dotKernel
}

// blockK is the K block the driver uses with this kernel.
func (k *kernel) blockK() int {
	if k.kc > 0 {
		return k.kc
	}
	return blockK
}

var active atomic.Pointer[kernel]

func init() {
	active.Store(chooseKernel(os.Getenv(envKernel)))
}

// Kernel reports which micro-kernel is in use: "avx512", "avx2", "neon" or
// "generic".
func Kernel() string { return activeKernel().name }

func activeKernel() *kernel { return active.Load() }

// chooseKernel returns the kernel called want, or the fastest available one
// when want is empty, unknown or not supported by this CPU.
func chooseKernel(want string) *kernel {
	available := availableKernels()
	if want == "" {
		return available[0]
	}
	for _, k := range available {
		if k.name == want {
			return k
		}
	}
	slog.Warn("requested gemm kernel is not available; using the fastest one",
		"env", envKernel, "requested", want, "using", available[0].name)
	return available[0]
}

// useKernel switches the package to the named kernel and returns a function
// restoring the previous one. It exists so tests can exercise every path
// in one process; it must not race with running multiplications.
func useKernel(name string) (restore func(), err error) {
	for _, k := range availableKernels() {
		if k.name == name {
			previous := active.Swap(k)
			return func() { active.Store(previous) }, nil
		}
	}
	return nil, fmt.Errorf("gemm kernel %q is not available on this CPU", name)
}

// kernelNames lists the available kernels, fastest first.
func kernelNames() []string {
	var names []string
	for _, k := range availableKernels() {
		names = append(names, k.name)
	}
	return names
}
