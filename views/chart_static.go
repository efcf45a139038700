package views

import (
	"math"
	"strconv"
	"strings"
)

// staticChart is the loss curve drawn by the server as SVG, for browsers
// without JavaScript. Coordinates are in a viewBox of staticChartWidth ×
// staticChartHeight; the plot area leaves room for the axis labels.
type staticChart struct {
	Polyline               string // "x,y x,y ..." of the curve, smoothed if asked
	Raw                    string // the unsmoothed curve, drawn faded under a smoothed one
	XMax, YMin, YMax       string // axis labels
	Empty                  bool
	Left, Right, Top, Base float64 // the plot area
}

const (
	staticChartWidth   = 600
	staticChartHeight  = 240
	staticChartMaxDots = 400 // more points than pixels only make the page heavier
)

// newStaticChart scales points into the SVG's plot area, smoothed with
// SmoothEMA when smooth > 0 (the raw curve then goes to Raw).
func newStaticChart(points []LossPoint, smooth float64) staticChart {
	c := staticChart{Left: 44, Right: staticChartWidth - 12, Top: 12, Base: staticChartHeight - 28}
	var finitePoints []LossPoint
	for _, p := range points {
		if finite(p.Epoch) && finite(p.Loss) {
			finitePoints = append(finitePoints, p)
		}
	}
	if len(finitePoints) == 0 {
		c.Empty = true
		return c
	}
	step := max(1, (len(finitePoints)+staticChartMaxDots-1)/staticChartMaxDots)
	xMax, yMin, yMax := 0.0, math.Inf(1), math.Inf(-1)
	for _, p := range finitePoints {
		xMax = math.Max(xMax, p.Epoch)
		yMin, yMax = math.Min(yMin, p.Loss), math.Max(yMax, p.Loss)
	}
	xMax = math.Max(math.Ceil(xMax*10)/10, 0.1)
	if yMax-yMin < 1e-9 {
		yMax = yMin + 1
	}
	toXY := func(ys []float64) string {
		var b strings.Builder
		for i := 0; i < len(finitePoints); i += step {
			j := i
			if i+step >= len(finitePoints) {
				j = len(finitePoints) - 1 // always end at the newest point
			}
			x := c.Left + finitePoints[j].Epoch/xMax*(c.Right-c.Left)
			y := c.Base - (ys[j]-yMin)/(yMax-yMin)*(c.Base-c.Top)
			b.WriteString(strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64) + " ")
		}
		return strings.TrimSpace(b.String())
	}
	raw := make([]float64, len(finitePoints))
	for i, p := range finitePoints {
		raw[i] = p.Loss
	}
	c.Polyline = toXY(raw)
	// The smoothed curve stays within the raw one's range (each value is a
	// weighted mean of raw values), so the axes fit both.
	if smooth = ClampSmoothing(smooth); smooth > 0 {
		c.Raw, c.Polyline = c.Polyline, toXY(SmoothEMA(raw, smooth))
	}
	c.XMax = strconv.FormatFloat(xMax, 'f', 1, 64)
	c.YMin, c.YMax = formatLoss(yMin), formatLoss(yMax)
	return c
}

func svgNum(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
