// Package sysmon samples the server process while it trains: CPU, resident
// memory, goroutines, the training throughput and the kernel path. Samples
// come from a goroutine of their own, so the training loop never waits for
// them, and that goroutine ends with the run (see Start).
package sysmon

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// Interval is how often a running training is sampled.
const Interval = 2 * time.Second

// Start samples every interval until ctx ends or stop is called, handing
// each sample to emit (which must not block). rate reports the run's current
// images per second. stop returns once the sampler's goroutine has ended.
func Start(ctx context.Context, interval time.Duration, kernelPath string, rate func() float64, emit func(fmnist.SystemSample)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		p := newProbe("/proc/self/stat")
		p.read(time.Now()) // the baseline of the first interval's CPU share
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				s := p.read(now)
				s.ImagesPerSec, s.KernelPath = rate(), kernelPath
				emit(s)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// probe reads the process's figures and keeps the previous CPU time, for
// the share over each interval.
type probe struct {
	statPath         string // /proc/self/stat; a test points it elsewhere
	lastAt           time.Time
	lastCPUSeconds   float64
	samples          []metrics.Sample
	goroutines, heap int // indexes into samples
	cpu              []int
}

func newProbe(statPath string) *probe {
	p := &probe{statPath: statPath}
	names := []string{"/sched/goroutines:goroutines", "/memory/classes/total:bytes",
		"/cpu/classes/user:cpu-seconds", "/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/scavenge/total:cpu-seconds"}
	for _, n := range names {
		p.samples = append(p.samples, metrics.Sample{Name: n})
	}
	p.goroutines, p.heap, p.cpu = 0, 1, []int{2, 3, 4}
	return p
}

// read takes a sample at now. CPU and resident memory come from /proc
// where it exists, else from the runtime's estimates (Estimated set).
func (p *probe) read(now time.Time) fmnist.SystemSample {
	metrics.Read(p.samples)
	s := fmnist.SystemSample{Time: now, Goroutines: int(p.samples[p.goroutines].Value.Uint64())}
	cpuSeconds, rss, err := readProcStat(p.statPath)
	if err != nil {
		s.Estimated = true
		cpuSeconds, rss = 0, p.samples[p.heap].Value.Uint64()
		for _, i := range p.cpu {
			cpuSeconds += p.samples[i].Value.Float64()
		}
	}
	s.RSSBytes = rss
	if !p.lastAt.IsZero() {
		if wall := now.Sub(p.lastAt).Seconds(); wall > 0 {
			s.CPUPercent = max(0, 100*(cpuSeconds-p.lastCPUSeconds)/wall)
		}
	}
	p.lastAt, p.lastCPUSeconds = now, cpuSeconds
	return s
}

// procTicksPerSecond is USER_HZ, the unit of /proc's CPU times: 100 on
// every Linux architecture Go supports.
const procTicksPerSecond = 100

// readProcStat returns the process's CPU time (user + system) and resident
// memory from a /proc/<pid>/stat file.
func readProcStat(path string) (cpuSeconds float64, rss uint64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("read process stat: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields that follow start after its last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("process stat %s: no command name", path)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	const utime, stime, rssPages = 14 - 3, 15 - 3, 24 - 3
	if len(f) <= rssPages {
		return 0, 0, fmt.Errorf("process stat %s: %d fields, want at least %d", path, len(f)+2, rssPages+3)
	}
	var n [3]uint64
	for k, field := range []int{utime, stime, rssPages} {
		if n[k], err = strconv.ParseUint(f[field], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("process stat %s field %d: %w", path, field+3, err)
		}
	}
	return float64(n[0]+n[1]) / procTicksPerSecond, n[2] * uint64(os.Getpagesize()), nil
}
