package gemm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// problem is one Sgemm call with randomly filled, padded operands.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

const sentinel = float32(-12345.5)

// newProblem builds a problem whose strides exceed the minimum by pad, with
// the padding filled with a sentinel so out-of-bounds reads show up as
// wrong results and out-of-bounds writes as changed padding.
func newProblem(rng *rand.Rand, transA, transB bool, m, n, k, pad int, alpha, beta float32) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	p.lda, p.ldb, p.ldc = max(1, colsA)+pad, max(1, colsB)+pad, max(1, n)+pad
	p.a = randomMatrix(rng, rowsA, colsA, p.lda)
	p.b = randomMatrix(rng, rowsB, colsB, p.ldb)
	p.c = randomMatrix(rng, m, n, p.ldc)
	return p
}

func randomMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	data := make([]float32, rows*ld)
	for i := range data {
		data[i] = sentinel
	}
	for i := range rows {
		for j := range cols {
			data[i*ld+j] = rng.Float32()*2 - 1
		}
	}
	return data
}

func (p *problem) opA(i, l int) float64 {
	if p.transA {
		return float64(p.a[l*p.lda+i])
	}
	return float64(p.a[i*p.lda+l])
}

func (p *problem) opB(l, j int) float64 {
	if p.transB {
		return float64(p.b[j*p.ldb+l])
	}
	return float64(p.b[l*p.ldb+j])
}

// check runs Sgemm and compares every element of C with a float64 triple
// loop (see checkAgainst), and that A, B and C's padding are untouched.
func (p *problem) check(t *testing.T) {
	t.Helper()
	c0 := slices.Clone(p.c)
	a0, b0 := slices.Clone(p.a), slices.Clone(p.b)
	Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c, p.ldc)
	if !slices.Equal(a0, p.a) || !slices.Equal(b0, p.b) {
		t.Fatalf("%v: Sgemm modified A or B", p)
	}
	p.checkAgainst(t, c0)
	for i := range p.m {
		for j := p.n; j < p.ldc && i*p.ldc+j < len(p.c); j++ {
			if p.c[i*p.ldc+j] != c0[i*p.ldc+j] {
				t.Fatalf("%v: padding C[%d,%d] overwritten", p, i, j)
			}
		}
	}
}

// checkAgainstReference checks p.c as the result of a product with beta 0.
func (p *problem) checkAgainstReference(t *testing.T) {
	t.Helper()
	p.checkAgainst(t, nil)
}

// checkAgainst compares p.c with alpha*op(A)*op(B) + beta*c0 computed in
// float64. The tolerance is the classical bound for a float32 sum of k
// products, (k+2)·ε·Σ|terms|, so it holds for any summation order while
// any indexing error (a wrong or missing term) is far outside it.
func (p *problem) checkAgainst(t *testing.T, c0 []float32) {
	t.Helper()
	eps := math.Pow(2, -24)
	for i := range p.m {
		for j := range p.n {
			var sum, magnitude float64
			for l := range p.k {
				term := float64(p.alpha) * p.opA(i, l) * p.opB(l, j)
				sum += term
				magnitude += math.Abs(term)
			}
			if p.beta != 0 {
				term := float64(p.beta) * float64(c0[i*p.ldc+j])
				sum += term
				magnitude += math.Abs(term)
			}
			got := float64(p.c[i*p.ldc+j])
			if tol := float64(p.k+2) * eps * magnitude; math.Abs(got-sum) > tol || math.IsNaN(got) {
				t.Fatalf("%v: C[%d,%d] = %g, want %g (tolerance %g)", p, i, j, got, sum, tol)
			}
		}
	}
}

func (p *problem) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

// forEachKernel runs f once per kernel this CPU supports.
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, name := range kernelNames() {
		t.Run(name, func(t *testing.T) {
			restore, err := useKernel(name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			if Kernel() != name {
				t.Fatalf("Kernel() = %q after switching to %q", Kernel(), name)
			}
			f(t)
		})
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	forEachKernel(t, checkShapes)
}

// portableTiles are both portable micro-kernels; each architecture makes
// only one of them its generic kernel, so the tests run both everywhere.
var portableTiles = []*kernel{
	{name: "generic2x4", mr: 2, nr: 4, micro: micro2x4, partialTiles: true},
	{name: "generic4x4", mr: 4, nr: 4, micro: micro4x4, partialTiles: true},
}

func TestPortableTiles(t *testing.T) {
	for _, k := range portableTiles {
		t.Run(k.name, func(t *testing.T) {
			previous := active.Swap(k)
			defer active.Store(previous)
			checkShapes(t)
		})
	}
}

// checkShapes compares the active kernel's Sgemm with the float64
// reference on shapes around every tile and block edge.
func checkShapes(t *testing.T) {
	// Sizes straddle every tile edge (4, 6, 12, 16, 32) and the K/M/N
	// blocks, plus shapes from the CNN.
	shapes := [][3]int{
		{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 5, 2}, {4, 4, 4}, {6, 16, 8},
		{7, 17, 9}, {11, 31, 13}, {12, 32, 1}, {13, 33, 5}, {25, 65, 30},
		{32, 100, 9}, {37, 70, 300}, {150, 40, 20}, {64, 129, 257}, {9, 10, 64},
		{5, 7, 20000}, // K split into blocks on the inner-product path
		{6, 9, 71},    // every K tail of the inner-product kernels (64+4+3)
	}
	if !testing.Short() {
		shapes = append(shapes, [3]int{64, 2100, 40}, [3]int{160, 96, 520}, [3]int{100, 10, 3136})
	}
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0.75, -1}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		for flags := range 4 {
			for _, pad := range []int{0, 3} {
				sc := scalars[(s[0]+flags+pad)%len(scalars)]
				newProblem(rng, flags&1 != 0, flags&2 != 0, s[0], s[1], s[2], pad, sc[0], sc[1]).check(t)
			}
		}
	}
	for _, sc := range scalars {
		newProblem(rng, false, true, 29, 41, 19, 1, sc[0], sc[1]).check(t)
	}
}

func TestSgemmBetaZeroOverwritesNaN(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, k := range []int{0, 5, 300} {
			p := newProblem(rng, false, false, 13, 35, k, 2, 1, 0)
			for i := range p.m {
				for j := range p.n {
					p.c[i*p.ldc+j] = float32(math.NaN())
				}
			}
			p.check(t)
		}
	})
}

func TestSgemmDegenerateSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// k == 0 and alpha == 0 reduce to C = beta*C.
	for _, beta := range []float32{0, 1, 2.5} {
		newProblem(rng, false, false, 5, 7, 0, 1, 1, beta).check(t)
		newProblem(rng, true, true, 5, 7, 4, 1, 0, beta).check(t)
	}
	// Empty outputs touch nothing, even with nil slices.
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
	Sgemm(false, false, 5, 0, 3, 1, make([]float32, 15), 3, nil, 1, 0, nil, 1)
}

func TestSgemmRejectsBadArguments(t *testing.T) {
	buf := make([]float32, 64)
	cases := []struct {
		want string
		call func()
	}{
		{errMLT0, func() { Sgemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{errNLT0, func() { Sgemm(false, false, 2, -1, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{errKLT0, func() { Sgemm(false, false, 2, 2, -1, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{errBadLdA, func() { Sgemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{errBadLdA, func() { Sgemm(true, false, 3, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{errBadLdB, func() { Sgemm(false, false, 2, 3, 2, 1, buf, 2, buf, 2, 0, buf, 3) }},
		{errBadLdB, func() { Sgemm(false, true, 2, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }},
		{errBadLdC, func() { Sgemm(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf, 2) }},
		{errShortA, func() { Sgemm(false, false, 4, 4, 4, 1, buf[:15], 4, buf, 4, 0, buf, 4) }},
		{errShortB, func() { Sgemm(false, false, 4, 4, 4, 1, buf, 4, buf[:15], 4, 0, buf, 4) }},
		{errShortC, func() { Sgemm(false, false, 4, 4, 4, 1, buf, 4, buf, 4, 0, buf[:15], 4) }},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			defer func() {
				if got := recover(); got != tc.want {
					t.Fatalf("panic = %v, want %q", got, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestParallelSgemmLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, p := range []*problem{
		newProblem(rng, false, true, 70, 300, 64, 0, 1, 0), // inner products
		newProblem(rng, true, false, 90, 200, 64, 1, 1, 1), // packed panels
	} {
		if p.m*p.n*p.k < parallelMinWork {
			t.Fatalf("%v: too small to exercise the parallel path", p)
		}
		p.check(t)
	}
}

func TestChooseKernel(t *testing.T) {
	best := availableKernels()[0]
	if got := chooseKernel(""); got != best {
		t.Errorf("chooseKernel(\"\") = %s, want the fastest, %s", got.name, best.name)
	}
	if got := chooseKernel("no-such-kernel"); got != best {
		t.Errorf("chooseKernel(unknown) = %s, want fallback %s", got.name, best.name)
	}
	// Every path this CPU has can be forced by name (FMNIST_GEMM=neon on
	// arm64, avx512 or avx2 on amd64, generic everywhere).
	for _, k := range availableKernels() {
		if got := chooseKernel(k.name); got != k {
			t.Errorf("chooseKernel(%q) = %s", k.name, got.name)
		}
	}
	if got := chooseKernel("generic"); got != generic {
		t.Errorf("chooseKernel(\"generic\") = %s", got.name)
	}
	if _, err := useKernel("no-such-kernel"); err == nil {
		t.Error("useKernel accepted an unknown kernel")
	}
}

func FuzzSgemm(f *testing.F) {
	f.Add(uint8(13), uint8(33), uint8(5), uint8(0), uint8(1), float32(1), float32(0), uint64(1))
	f.Add(uint8(1), uint8(1), uint8(0), uint8(3), uint8(0), float32(-2), float32(0.5), uint64(2))
	f.Add(uint8(64), uint8(200), uint8(150), uint8(1), uint8(2), float32(0.5), float32(1), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k, flags, pad uint8, alpha, beta float32, seed uint64) {
		if math.IsNaN(float64(alpha)) || math.IsInf(float64(alpha), 0) || math.Abs(float64(alpha)) > 1e6 ||
			math.IsNaN(float64(beta)) || math.IsInf(float64(beta), 0) || math.Abs(float64(beta)) > 1e6 {
			t.Skip("non-finite or huge scalars")
		}
		check := func() {
			rng := rand.New(rand.NewPCG(seed, 0))
			newProblem(rng, flags&1 != 0, flags&2 != 0, int(m), int(n), int(k)*2, int(pad%4), alpha, beta).check(t)
		}
		for _, name := range kernelNames() {
			restore, err := useKernel(name)
			if err != nil {
				t.Fatal(err)
			}
			check()
			restore()
		}
		for _, tile := range portableTiles {
			previous := active.Swap(tile)
			check()
			active.Store(previous)
		}
	})
}

func TestSgemmConcurrentCallers(t *testing.T) {
	// Callers share the pooled workspaces; each must still get its own.
	problems := make([]*problem, 6)
	for i := range problems {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		problems[i] = newProblem(rng, i%2 == 0, i%3 == 0, 40+i*7, 90+i*13, 70+i*5, i%2, 1, float32(i%2))
	}
	wants := make([][]float32, len(problems))
	for i, p := range problems {
		wants[i] = slices.Clone(p.c)
		Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, wants[i], p.ldc)
	}
	var wg sync.WaitGroup
	for i, p := range problems {
		wg.Go(func() {
			for range 20 {
				got := slices.Clone(p.c)
				Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, got, p.ldc)
				if !slices.Equal(got, wants[i]) {
					t.Errorf("%v: concurrent result differs from the serial one", p)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestEnvironmentForcesKernel runs this test binary again with
// FMNIST_GEMM set, since the variable is read once at start-up. Under user
// emulation (qemu-aarch64 via go test -exec) the child cannot be started;
// .ci/run sets QEMU_EMULATED=1 there.
func TestEnvironmentForcesKernel(t *testing.T) {
	if os.Getenv("GEMM_TEST_CHILD") == "1" {
		fmt.Printf("kernel=%s\n", Kernel())
		return
	}
	for _, tc := range []struct{ env, want string }{
		{"generic", "generic"},
		{"no-such-kernel", availableKernels()[0].name},
		{"", availableKernels()[0].name},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironmentForcesKernel$")
		cmd.Env = append(os.Environ(), "GEMM_TEST_CHILD=1", envKernel+"="+tc.env)
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.ENOEXEC) && (os.Getenv("QEMU_EMULATED") == "1" || os.Getenv("CI") != "true") {
			t.Skipf("cannot re-execute the test binary here (emulated, e.g. go test -exec qemu-aarch64): %v", err)
		}
		if err != nil {
			t.Fatalf("%s=%q: child failed: %v\n%s", envKernel, tc.env, err, out)
		}
		if !strings.Contains(string(out), "kernel="+tc.want+"\n") {
			t.Errorf("%s=%q: child reported %q, want kernel=%s", envKernel, tc.env, out, tc.want)
		}
		if tc.env == "no-such-kernel" && !strings.Contains(string(out), "not available") {
			t.Errorf("%s=%q: no warning logged:\n%s", envKernel, tc.env, out)
		}
	}
}
