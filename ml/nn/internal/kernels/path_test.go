package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// forEachPath runs f once per kernel path this CPU supports (AVX-512,
// AVX2, portable Go), whatever path the process chose at start, so that
// every assembly kernel is held to its Go loop on this machine.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	paths := []struct {
		name             string
		ok, avx512, avx2 bool
	}{
		{"avx512", cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL, true, false},
		{"avx2", cpu.X86.HasAVX2 && cpu.X86.HasFMA, false, true},
		{"generic", true, false, false},
	}
	saved512, saved2 := avx512, avx2
	defer func() { avx512, avx2 = saved512, saved2 }()
	for _, p := range paths {
		if !p.ok {
			continue
		}
		avx512, avx2 = p.avx512, p.avx2
		t.Run(p.name, f)
	}
}
