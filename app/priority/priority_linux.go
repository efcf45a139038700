package priority

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// lower sets every thread of the process to nice n and returns how to put
// back the nice value the process had.
func lower(n int) (restore func() error, err error) {
	was, err := Nice(unix.Gettid())
	if err != nil {
		return nil, err
	}
	if was >= n {
		return func() error { return nil }, nil // already as kind
	}
	if err := setAll(n); err != nil {
		return nil, fmt.Errorf("lower the priority to nice %d: %w", n, err)
	}
	return func() error {
		if err := setAll(was); err != nil {
			return fmt.Errorf("restore the priority to nice %d: %w", was, err)
		}
		return nil
	}, nil
}

// setAll sets each thread of the process to nice n. A thread made while it
// runs takes its creator's value, so a second pass catches the threads the
// first one missed; a thread that ended meanwhile is no error.
func setAll(n int) error {
	for range 2 {
		tids, err := Threads()
		if err != nil {
			return err
		}
		for _, tid := range tids {
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, n); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("thread %d: %w", tid, err)
			}
		}
	}
	return nil
}

// Threads lists the thread ids of the process.
func Threads() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("list the threads: %w", err)
	}
	tids := make([]int, 0, len(entries))
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// Nice is thread tid's nice value.
func Nice(tid int) (int, error) {
	// The system call answers 20 − nice, so that it is never negative.
	p, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return 0, fmt.Errorf("read the priority of thread %d: %w", tid, err)
	}
	return 20 - p, nil
}
