package apijson

import (
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// System is the "system" event: one reading of the server process while
// run trains.
type System struct {
	Run          int64     `json:"run"`
	Time         time.Time `json:"time"`
	CPUPercent   float64   `json:"cpu_percent"` // of one core: 200 is two cores busy
	RSSBytes     uint64    `json:"rss_bytes"`
	Goroutines   int       `json:"goroutines"`
	ImagesPerSec float64   `json:"images_per_sec"`
	KernelPath   string    `json:"kernel_path"`         // avx512, avx2, neon or generic (pure Go)
	Estimated    bool      `json:"estimated,omitempty"` // CPU and memory from the Go runtime: no /proc here
}

// SystemOf is the "system" event of s during run.
func SystemOf(s fmnist.SystemSample, run int64) System {
	return System{Run: run, Time: s.Time, CPUPercent: s.CPUPercent, RSSBytes: s.RSSBytes, Goroutines: s.Goroutines,
		ImagesPerSec: s.ImagesPerSec, KernelPath: s.KernelPath, Estimated: s.Estimated}
}
