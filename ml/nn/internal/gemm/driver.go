package gemm

import (
	"runtime"
	"sync"
)

// Cache blocking, measured on Zen 4 (32 KiB L1d, 1 MiB L2 per core): the
// micro-kernel sweeps one kc×nr B panel across the mc×kc A block held in
// L2; the kc×nc B block lives in L2/L3. K is cut into equal blocks of at
// most blockK, so K=288 (3×3×32 convolutions) runs as two blocks of 144.
const (
	blockK = 256
	blockM = 144
	blockN = 2048

	// streamPanels is how many B panels are packed at a time when A is
	// packed once for the whole row range (see multiplyRect).
	streamPanels = 4

	// parallelMinWork is the m*n*k below which a product runs on the calling
	// goroutine alone: starting workers costs more than it saves.
	parallelMinWork = 1 << 20
)

// operands are Sgemm's arguments after validation.
type operands struct {
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
}

// workspace holds one worker's packing buffers; pooled so steady-state
// calls do not allocate.
type workspace struct {
	packA, packB, edge, sums []float32
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

func grow(buf []float32, size int) []float32 {
	if cap(buf) < size {
		return make([]float32, size)
	}
	return buf[:size]
}

// maxWorkers caps the goroutines one call uses.
const maxWorkers = 64

// rect is a block of C: rows i0..i1-1, columns j0..j1-1.
type rect struct{ i0, i1, j0, j1 int }

// run multiplies, splitting C into one rectangle per worker when the
// product is big enough. Each worker packs what it needs itself, so no
// synchronisation is needed beyond waiting for all of them; no goroutine
// outlives the call.
func run(op *operands, kr *kernel) {
	useDot := kr.dot != nil && !op.transA && op.transB && op.k >= dotMinK
	tileM, tileN := kr.mr, kr.nr
	if useDot {
		tileM, tileN = kr.dot.rowsA, kr.dot.rowsB
	}
	var rects [maxWorkers]rect
	n := splitWork(op, tileM, tileN, rects[:])
	if n == 1 {
		multiplyBlock(op, kr, useDot, rects[0])
		return
	}
	shared := *op // keeps op itself on the caller's stack on the serial path
	var wg sync.WaitGroup
	for _, r := range rects[1:n] {
		wg.Go(func() { multiplyBlock(&shared, kr, useDot, r) })
	}
	multiplyBlock(&shared, kr, useDot, rects[0])
	wg.Wait()
}

func multiplyBlock(op *operands, kr *kernel, useDot bool, r rect) {
	if useDot {
		multiplyDot(op, kr.dot, r.i0, r.i1, r.j0, r.j1)
		return
	}
	multiplyRect(op, kr, r.i0, r.i1, r.j0, r.j1)
}

// splitWork cuts C into at most len(rects) rectangles of whole
// tileM×tileN tiles, one per worker, along the dimension with more tiles,
// and returns how many it made. Products below parallelMinWork get one.
func splitWork(op *operands, tileM, tileN int, rects []rect) int {
	workers := 1
	if op.m*op.n*op.k >= parallelMinWork {
		workers = min(runtime.GOMAXPROCS(0), len(rects))
	}
	tilesM := ceilDiv(op.m, tileM)
	tilesN := ceilDiv(op.n, tileN)
	splitN := tilesN >= tilesM
	tiles := tilesM
	if splitN {
		tiles = tilesN
	}
	workers = min(workers, tiles)
	for w := range workers {
		// Whole tiles per worker, the remainder spread over the first ones.
		first := w*(tiles/workers) + min(w, tiles%workers)
		count := tiles / workers
		if w < tiles%workers {
			count++
		}
		r := rect{0, op.m, 0, op.n}
		if splitN {
			r.j0, r.j1 = first*tileN, min(op.n, (first+count)*tileN)
		} else {
			r.i0, r.i1 = first*tileM, min(op.m, (first+count)*tileM)
		}
		rects[w] = r
	}
	return max(workers, 1)
}

// multiplyRect computes rows i0..i1-1, columns j0..j1-1 of C.
func multiplyRect(op *operands, kr *kernel, i0, i1, j0, j1 int) {
	mr, nr := kr.mr, kr.nr
	// Equal-sized K blocks avoid a thin, inefficient last block.
	kc := ceilDiv(op.k, ceilDiv(op.k, kr.blockK()))
	mcMax := min(roundUp(blockM, mr), roundUp(i1-i0, mr))
	ncMax := min(roundUp(blockN, nr), roundUp(j1-j0, nr))

	oneRowBlock := i1-i0 <= mcMax
	if oneRowBlock {
		ncMax = min(ncMax, streamPanels*nr)
	}

	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	ws.packA = grow(ws.packA, mcMax*kc)
	ws.packB = grow(ws.packB, ncMax*kc)
	ws.edge = grow(ws.edge, mr*nr)

	if oneRowBlock {
		// All of this block's rows fit one packed A block (the usual case
		// for the network's products, M = 64): pack A once per K block and
		// pack B a few panels at a time, each consumed from L1/L2 right
		// after it is written instead of round-tripping through L3.
		for pc := 0; pc < op.k; pc += kc {
			kcb := min(kc, op.k-pc)
			beta := op.beta
			if pc > 0 {
				beta = 1
			}
			packA(op, i0, i1-i0, pc, kcb, mr, ws.packA)
			for jc := j0; jc < j1; jc += ncMax {
				nc := min(ncMax, j1-jc)
				packB(op, kr, pc, kcb, jc, nc, ws.packB)
				macroKernel(kr, i1-i0, nc, kcb, ws.packA, ws.packB, op.c[i0*op.ldc+jc:], op.ldc, beta, ws.edge)
			}
		}
		return
	}

	for jc := j0; jc < j1; jc += ncMax {
		nc := min(ncMax, j1-jc)
		for pc := 0; pc < op.k; pc += kc {
			kcb := min(kc, op.k-pc)
			beta := op.beta
			if pc > 0 {
				beta = 1 // later K blocks accumulate onto the first.
			}
			packB(op, kr, pc, kcb, jc, nc, ws.packB)
			for ic := i0; ic < i1; ic += mcMax {
				mc := min(mcMax, i1-ic)
				packA(op, ic, mc, pc, kcb, mr, ws.packA)
				macroKernel(kr, mc, nc, kcb, ws.packA, ws.packB, op.c[ic*op.ldc+jc:], op.ldc, beta, ws.edge)
			}
		}
	}
}

// macroKernel runs the micro-kernel over an mc×nc block of C from packed
// A and B. Partial tiles, for kernels that cannot clip their stores, are
// computed into edge and merged so nothing outside C's block is touched.
func macroKernel(kr *kernel, mc, nc, kc int, packedA, packedB, c []float32, ldc int, beta float32, edge []float32) {
	mr, nr := kr.mr, kr.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bPanel := packedB[(jr/nr)*kc*nr:]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			aPanel := packedA[(ir/mr)*kc*mr:]
			tile := c[ir*ldc+jr:]
			if kr.partialTiles || rows == mr && cols == nr {
				micro := kr.micro
				if kr.fewRows != nil && rows <= kr.fewRowsMax {
					micro = kr.fewRows
				}
				micro(kc, aPanel, bPanel, tile, ldc, beta, rows, cols)
				continue
			}
			kr.micro(kc, aPanel, bPanel, edge, nr, 0, mr, nr)
			mergeEdge(edge, nr, tile, ldc, rows, cols, beta)
		}
	}
}

func mergeEdge(edge []float32, nr int, c []float32, ldc, rows, cols int, beta float32) {
	for i := range rows {
		src := edge[i*nr : i*nr+cols]
		dst := c[i*ldc : i*ldc+cols]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = v + beta*dst[j]
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
