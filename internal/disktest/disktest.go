// Package disktest fills disks for tests: a small tmpfs that a filler file
// fills to the last byte (where the test may mount one), and a RunStore
// around a real store whose writes fail as on a full disk until told
// otherwise (everywhere).
package disktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Fill writes a file into dir until the file system has no space left and
// returns a function that removes it again. Both fail t on any other error.
func Fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "disktest-filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("fill the disk: %v", err)
	}
	defer f.Close()
	// Big chunks first, then smaller ones, so the last free block goes too.
	for size := 1 << 20; size >= 512; size /= 8 {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill the disk: %v", err)
				}
				break
			}
		}
	}
	return func() {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatalf("free the disk: %v", err)
		}
	}
}

// errSkip says why a tmpfs could not be mounted.
func errSkip(err error) string {
	return fmt.Sprintf("skipping: cannot mount a tmpfs to fill (%v); run as root on Linux", err)
}
