//go:build !linux

package disktest

import (
	"errors"
	"testing"
)

// Tmpfs skips the test: mounting a tmpfs is Linux only.
func Tmpfs(t testing.TB, size int64) string {
	t.Helper()
	t.Skip(errSkip(errors.New("not Linux")))
	return ""
}
