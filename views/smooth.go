package views

import (
	"math"
	"strconv"
)

// MaxSmoothing is the strongest smoothing weight the charts offer; at 1 the
// average would never move.
const MaxSmoothing = 0.99

// SmoothEMA is the debiased exponential moving average TensorBoard draws
// (its fix for #610): ema_t = w*ema_{t-1} + (1-w)*x_t, divided by 1-w^t so
// that the curve does not start at zero and creep up. The first smoothed
// value is the first raw value. public/chart-controls.js has the same
// function for the live charts. w is clamped to [0, MaxSmoothing].
func SmoothEMA(ys []float64, w float64) []float64 {
	w = ClampSmoothing(w)
	out := make([]float64, len(ys))
	ema, weight := 0.0, 1.0 // weight is w^t
	for i, y := range ys {
		ema = w*ema + (1-w)*y
		weight *= w
		out[i] = ema / (1 - weight)
	}
	return out
}

// ClampSmoothing keeps a smoothing weight from a URL within [0, MaxSmoothing].
func ClampSmoothing(w float64) float64 {
	if math.IsNaN(w) || w < 0 {
		return 0
	}
	return math.Min(w, MaxSmoothing)
}

// chartKind names a chart for the settings app.js keeps per kind of chart.
func chartKind(c ChartView) string {
	if c.OneRun {
		return "run-loss"
	}
	return "dashboard-loss"
}

// smoothValue is the weight as the no-JS form shows it.
func smoothValue(w float64) string { return strconv.FormatFloat(ClampSmoothing(w), 'f', -1, 64) }
