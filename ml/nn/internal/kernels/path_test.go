package kernels

import (
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// forEachPath runs f once per kernel path this CPU supports (AVX-512,
// AVX2, NEON, portable Go), whatever path the process chose at start, so that
// every assembly kernel is held to its Go loop on this machine.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	paths := []struct {
		name                   string
		ok, avx512, avx2, neon bool
	}{
		{"avx512", cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL, true, false, false},
		{"avx2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, false, true, false},
		{"neon", runtime.GOARCH == "arm64" && cpu.ARM64.HasASIMD, false, false, true},
		{"generic", true, false, false, false},
	}
	saved512, saved2, savedNEON := avx512, avx2, neon
	defer func() { avx512, avx2, neon = saved512, saved2, savedNEON }()
	for _, p := range paths {
		if !p.ok {
			continue
		}
		avx512, avx2, neon = p.avx512, p.avx2, p.neon
		t.Run(p.name, f)
	}
}
