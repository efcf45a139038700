// Package systemview draws the dashboard's system panel: what the server
// process uses while it trains (see fmnist.SystemSample).
package systemview

import (
	"fmt"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// cpu is the process's CPU share; above 100% it is using several cores.
func cpu(s fmnist.SystemSample) string { return fmt.Sprintf("%.0f%%", s.CPUPercent) }

// memory is the resident memory in MiB.
func memory(s fmnist.SystemSample) string {
	return fmt.Sprintf("%.0f MiB", float64(s.RSSBytes)/(1<<20))
}

// count groups thousands: 12,345.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
