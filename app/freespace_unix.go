//go:build linux || darwin || freebsd || dragonfly

package app

import "golang.org/x/sys/unix"

// freeSpace is how many bytes an unprivileged process may still write to
// the file system of dir; ok is false when it cannot be told.
func freeSpace(dir string) (bytes uint64, ok bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
