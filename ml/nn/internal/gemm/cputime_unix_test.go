//go:build unix

package gemm

import "syscall"

// processCPUSeconds is the CPU time (user + system) this process has used
// across all threads; benchmarks divide work by it to get a throughput per
// busy core that other load on the machine barely disturbs.
func processCPUSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return float64(usage.Utime.Sec+usage.Stime.Sec) + float64(usage.Utime.Usec+usage.Stime.Usec)*1e-6
}
