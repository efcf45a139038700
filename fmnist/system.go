package fmnist

import "time"

// SystemSample is one reading of the server process while it trains, taken
// every few seconds by a sampler beside the training loop (never by the
// loop itself) and streamed as EventSystem.
type SystemSample struct {
	Time         time.Time
	CPUPercent   float64 // process CPU time over the last interval, % of one core (200 = two cores busy)
	RSSBytes     uint64  // resident memory
	Goroutines   int
	ImagesPerSec float64 // the run's training throughput
	KernelPath   string  // the matrix-multiply path: "avx512", "avx2", "neon" or "generic" (pure Go)
	// Estimated is set where /proc is missing: CPU and memory then come
	// from the Go runtime's own accounting (its CPU estimate and the
	// memory it mapped), which leaves out what C code or the kernel used.
	Estimated bool
}

func (SystemSample) event() {}

// KernelPathName is a kernel path as people call it.
func KernelPathName(path string) string {
	switch path {
	case "avx512":
		return "AVX-512"
	case "avx2":
		return "AVX2"
	case "neon":
		return "NEON"
	case "generic":
		return "pure Go"
	}
	return path
}
