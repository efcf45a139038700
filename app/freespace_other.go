//go:build !(linux || darwin || freebsd || dragonfly)

package app

// freeSpace cannot tell the free space here: runs start without the check.
func freeSpace(dir string) (bytes uint64, ok bool) { return 0, false }
