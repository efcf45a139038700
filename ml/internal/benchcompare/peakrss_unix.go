//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// selfPeakRSS is this process's peak resident set size in bytes.
func selfPeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return maxrssBytes(&ru)
}

// childPeakRSS is a finished child's peak resident set size in bytes.
func childPeakRSS(state *os.ProcessState) int64 {
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		return maxrssBytes(ru)
	}
	return 0
}

// maxrssBytes converts ru_maxrss, which macOS reports in bytes and the
// other Unixes in KiB.
func maxrssBytes(ru *syscall.Rusage) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) * 1024
}
