package sysmon

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/fmnist"
)

// A stat line whose command name holds spaces and a ')': utime 250 and
// stime 50 ticks (3 s), 1000 resident pages.
const statLine = "4242 (fm (nist) x) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 123456789 1000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestReadProcStatReadsCPUTimeAndResidentMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(statLine), 0o600); err != nil {
		t.Fatal(err)
	}
	cpu, rss, err := readProcStat(path)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 3 || rss != 1000*uint64(os.Getpagesize()) {
		t.Errorf("cpu %v s, rss %d; want 3 s and 1000 pages", cpu, rss)
	}
	if err := os.WriteFile(path, []byte("4242 (x) R 1 2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readProcStat(path); err == nil {
		t.Error("a short stat line was accepted")
	}
}

// Without /proc the sample still has every figure, from the runtime, and
// says it is an estimate.
func TestProbeFallsBackToTheRuntimeWithoutProc(t *testing.T) {
	p := newProbe(filepath.Join(t.TempDir(), "no-such-stat"))
	t0 := time.Now()
	p.read(t0)
	busy := 0
	for i := range 20_000_000 {
		busy += i % 7
	}
	s := p.read(t0.Add(time.Second))
	if !s.Estimated || s.RSSBytes == 0 || s.Goroutines < 1 || s.CPUPercent < 0 {
		t.Errorf("sample without /proc %+v (busy %d); want an estimate with memory and goroutines", s, busy)
	}
}

// The sampler emits samples with the rate and kernel path it is given, and
// its goroutine has ended once stop returns.
func TestStartSamplesUntilStopped(t *testing.T) {
	defer goleak.VerifyNone(t)
	got := make(chan fmnist.SystemSample, 16)
	stop := Start(context.Background(), 5*time.Millisecond, "avx2", func() float64 { return 1234 }, func(s fmnist.SystemSample) {
		select {
		case got <- s:
		default:
		}
	})
	s := <-got
	stop()
	if s.ImagesPerSec != 1234 || s.KernelPath != "avx2" || s.Goroutines < 1 || s.RSSBytes == 0 || s.Time.IsZero() {
		t.Errorf("sample %+v; want the rate, the kernel path, goroutines and memory", s)
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil && s.Estimated {
		t.Error("the sample is an estimate although /proc exists")
	}
}

// A cancelled context ends the sampler too; stop then returns at once.
func TestStartEndsWithItsContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	stop := Start(ctx, time.Hour, "generic", func() float64 { return 0 }, func(fmnist.SystemSample) {})
	cancel()
	stop()
}
