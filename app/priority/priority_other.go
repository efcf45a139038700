//go:build !linux

package priority

// lower does nothing here: the nice value of a thread is Linux's.
func lower(int) (func() error, error) { return func() error { return nil }, nil }
