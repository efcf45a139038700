package views

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/fmnist/trainer/fmnist"
)

// Tailwind scans this file for class names, so classes are written out whole.

func formatBytes(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.Bytes(uint64(n))
}

func formatCount(n int) string { return humanize.Comma(int64(n)) }

func formatPercent(p float64) string { return fmt.Sprintf("%.0f%%", clampPercent(p)) }

// formatAccuracy shows a 0..1 fraction as a percentage with one decimal.
func formatAccuracy(a float64) string { return fmt.Sprintf("%.1f%%", clampPercent(a*100)) }

// formatLoss shows four decimals; a diverged run's huge loss goes in
// exponent form, which fits a phone's stat card.
func formatLoss(l float64) string {
	switch {
	case !finite(l):
		return "—"
	case math.Abs(l) >= 1e4:
		return strconv.FormatFloat(l, 'e', 3, 64)
	}
	return strconv.FormatFloat(l, 'f', 4, 64)
}

func formatRate(r float64) string {
	if !finite(r) || r <= 0 {
		return "—"
	}
	return humanize.Comma(int64(r + 0.5))
}

func formatClock(t time.Time) string { return t.Format("15:04:05") }

// progressValue is the value attribute of a <progress> whose max is 100.
func progressValue(p float64) string { return strconv.FormatFloat(clampPercent(p), 'f', 1, 64) }

// csrfHeaders is the hx-headers value that makes htmx send the CSRF token
// with every request.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token}) // a map of strings always encodes
	return string(b)
}

// eventNames lists the stream's event kinds, space-separated.
func eventNames() string {
	names := make([]string, len(fmnist.EventKinds))
	for i, k := range fmnist.EventKinds {
		names[i] = string(k)
	}
	return strings.Join(names, " ")
}

// sseURL is where the page subscribes, resuming after the last event it shows.
func sseURL(after uint64) string { return "/events?after=" + strconv.FormatUint(after, 10) }

func predictionImageURL(index int) string {
	return "/predictions/image/" + strconv.Itoa(index) + ".png"
}

// statusTone is the colour of a status: blue while something runs, amber
// when a run ended early, green when done, red on failure.
func statusTone(s fmnist.Status) string {
	switch s {
	case fmnist.StatusDownloading, fmnist.StatusTraining:
		return "blue"
	case fmnist.StatusStopping, fmnist.StatusStopped, fmnist.StatusInterrupted:
		return "amber"
	case fmnist.StatusFinished, fmnist.StatusReady:
		return "emerald"
	case fmnist.StatusFailed:
		return "red"
	}
	return "slate"
}

// The classes of each tone, written out whole for Tailwind.
var (
	statusPillClasses = map[string]string{
		"blue":    "bg-blue-50 text-blue-700 ring-blue-200",
		"amber":   "bg-amber-50 text-amber-800 ring-amber-200",
		"emerald": "bg-emerald-50 text-emerald-700 ring-emerald-200",
		"red":     "bg-red-50 text-red-700 ring-red-200",
		"slate":   "bg-slate-100 text-slate-700 ring-slate-200",
	}
	statusDotClasses = map[string]string{
		"blue": "bg-blue-500", "amber": "bg-amber-500", "emerald": "bg-emerald-500", "red": "bg-red-500", "slate": "bg-slate-400",
	}
)

func statusPillClass(s fmnist.Status) string { return statusPillClasses[statusTone(s)] }

func statusDotClass(s fmnist.Status) string { return statusDotClasses[statusTone(s)] }

// levelName normalises a log level; unknown levels read as info.
func levelName(level fmnist.Level) fmnist.Level {
	switch level {
	case fmnist.LevelDebug, fmnist.LevelInfo, fmnist.LevelWarn, fmnist.LevelError:
		return level
	default:
		return fmnist.LevelInfo
	}
}

func levelBadgeClass(level fmnist.Level) string {
	switch levelName(level) {
	case fmnist.LevelDebug:
		return "bg-slate-100 text-slate-600 ring-slate-300"
	case fmnist.LevelWarn:
		return "bg-amber-50 text-amber-800 ring-amber-300"
	case fmnist.LevelError:
		return "bg-red-50 text-red-700 ring-red-300"
	default:
		return "bg-blue-50 text-blue-700 ring-blue-300"
	}
}

// lastLogs keeps the newest MaxLogEntries entries, oldest first.
func lastLogs(logs []LogView) []LogView {
	if len(logs) > MaxLogEntries {
		return logs[len(logs)-MaxLogEntries:]
	}
	return logs
}

func maxPoints(c ChartView) int {
	if c.MaxPoints <= 0 {
		return DefaultMaxPoints
	}
	return c.MaxPoints
}

// lastPoints keeps the newest points the browser would keep anyway, so the
// page does not carry more history than the chart shows.
func lastPoints(c ChartView) []LossPoint {
	if n := maxPoints(c); len(c.Points) > n {
		return c.Points[len(c.Points)-n:]
	}
	return c.Points
}

func errorTitle(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func itoa(n int) string { return strconv.Itoa(n) }

func boolString(b bool) string { return strconv.FormatBool(b) }
