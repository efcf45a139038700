package priority

import (
	"errors"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// niceOfAll is every thread's nice value, by thread id.
func niceOfAll(t *testing.T) map[int]int {
	t.Helper()
	tids, err := Threads()
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	for _, tid := range tids {
		if n, err := Nice(tid); err == nil { // a thread may end meanwhile
			got[tid] = n
		}
	}
	return got
}

func TestLowerSetsEveryThreadAndTheLastRestoreRaisesIt(t *testing.T) {
	was, err := Nice(unix.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	if was >= 10 {
		t.Skipf("the test already runs at nice %d", was)
	}
	runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), 2)) // more than one thread to set

	first, err := Lower(10)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Lower(10) // a second service in the process
	if err != nil {
		t.Fatal(err)
	}
	for tid, n := range niceOfAll(t) {
		if n != 10 {
			t.Errorf("thread %d at nice %d while lowered, want 10", tid, n)
		}
	}
	// Whichever thread a new goroutine runs on is lowered too.
	on := make(chan int)
	go func() {
		runtime.LockOSThread() // the runtime ends this thread with the goroutine
		n, _ := Nice(unix.Gettid())
		on <- n
	}()
	if n := <-on; n != 10 {
		t.Errorf("a goroutine runs at nice %d while lowered, want 10", n)
	}

	if err := first(); err != nil {
		t.Fatal(err)
	}
	if n, _ := Nice(unix.Gettid()); n != 10 {
		t.Errorf("nice %d after the first of two restores, want still 10", n)
	}
	if err := first(); err != nil { // twice is once
		t.Fatal(err)
	}
	if n, _ := Nice(unix.Gettid()); n != 10 {
		t.Errorf("nice %d after the first restore was called twice, want still 10", n)
	}
	err = second()
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		t.Skipf("raising the priority again takes CAP_SYS_NICE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for tid, n := range niceOfAll(t) {
		if n != was {
			t.Errorf("thread %d at nice %d after the last restore, want %d", tid, n, was)
		}
	}
}
