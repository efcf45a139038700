package views

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
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

func formatLoss(l float64) string {
	if !finite(l) {
		return "—"
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

// sseURL is where the page subscribes, resuming after the last event it shows.
func sseURL(after uint64) string { return "/events?after=" + strconv.FormatUint(after, 10) }

func predictionImageURL(index int) string {
	return "/predictions/image/" + strconv.Itoa(index) + ".png"
}

// statusLabel is how a state (an ml.Status value) reads in the status line.
func statusLabel(state string) string {
	switch state {
	case "", "idle":
		return "Idle"
	case "downloading":
		return "Downloading dataset"
	case "ready":
		return "Ready to train"
	case "training":
		return "Training"
	case "stopping":
		return "Stopping"
	case "stopped":
		return "Stopped"
	case "finished":
		return "Finished"
	case "failed":
		return "Failed"
	case "interrupted":
		return "Interrupted"
	default:
		return strings.ToUpper(state[:1]) + state[1:]
	}
}

// statusIsActive reports whether the state is one that changes by itself, so
// the status dot pulses.
func statusIsActive(state string) bool {
	return state == "downloading" || state == "training" || state == "stopping"
}

func statusPillClass(state string) string {
	switch state {
	case "downloading", "training":
		return "bg-blue-50 text-blue-700 ring-blue-200"
	case "stopping", "stopped", "interrupted":
		return "bg-amber-50 text-amber-800 ring-amber-200"
	case "finished", "ready":
		return "bg-emerald-50 text-emerald-700 ring-emerald-200"
	case "failed":
		return "bg-red-50 text-red-700 ring-red-200"
	default:
		return "bg-slate-100 text-slate-700 ring-slate-200"
	}
}

func statusDotClass(state string) string {
	switch state {
	case "downloading", "training":
		return "bg-blue-500"
	case "stopping", "stopped", "interrupted":
		return "bg-amber-500"
	case "finished", "ready":
		return "bg-emerald-500"
	case "failed":
		return "bg-red-500"
	default:
		return "bg-slate-400"
	}
}

// levelName normalises a log level; unknown levels read as info.
func levelName(level string) string {
	switch level {
	case "debug", "info", "warn", "error":
		return level
	default:
		return "info"
	}
}

func levelBadgeClass(level string) string {
	switch levelName(level) {
	case "debug":
		return "bg-slate-100 text-slate-600 ring-slate-300"
	case "warn":
		return "bg-amber-50 text-amber-800 ring-amber-300"
	case "error":
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
