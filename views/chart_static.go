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
	Path                   string // SVG path ("M … C …") of the curve, smoothed if asked
	Raw                    string // the unsmoothed curve, drawn faded under a smoothed one
	XTicks, YTicks         []svgTick
	Empty                  bool
	Left, Right, Top, Base float64 // the plot area
	XMax                   float64 // the epoch at Right
	// The learning rate in use, a thin series on its own scale (0 at Base,
	// LRMax at Top), and the live changes of it; see chart_static_lr.go.
	LRPath    string
	LRMax     string
	LRMarkers []svgMarker
	// WarnMarkers are the training-health warnings, labelled at the foot
	// of their line (anchored left of it near the right edge).
	WarnMarkers []svgMarker
}

// svgTick is a tick of an axis: its position in the viewBox (x for the x
// axis, y for the y axis) and its label.
type svgTick struct {
	Pos   float64
	Label string
}

const (
	staticChartWidth   = 600
	staticChartHeight  = 240
	staticChartMaxDots = 400 // more points than pixels only make the page heavier
	// chartSmooth is ECharts' `smooth: true` (0.5): how far along a
	// segment its Bezier control points sit.
	chartSmooth = 0.5
	// Tick counts that fit the plot without crowding its labels.
	maxXTicks = 10
	maxYTicks = 6
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
	// The x axis ends where app.js ends it: the next tenth of an epoch.
	xMax = math.Max(math.Ceil(xMax*10)/10, 0.1)
	// The y axis spans round values around the data, as ECharts' scale axis does.
	yStep := niceStep((yMax - yMin) / (maxYTicks - 1))
	yMin, yMax = math.Floor(yMin/yStep)*yStep, math.Ceil(yMax/yStep)*yStep
	if yMax-yMin < yStep/2 {
		yMax = yMin + yStep
	}
	c.XMax = xMax
	toX := func(epoch float64) float64 { return c.Left + epoch/xMax*(c.Right-c.Left) }
	toY := func(loss float64) float64 { return c.Base - (loss-yMin)/(yMax-yMin)*(c.Base-c.Top) }
	toPath := func(ys []float64) string {
		var xy [][2]float64
		for i := 0; i < len(finitePoints); i += step {
			j := i
			if i+step >= len(finitePoints) {
				j = len(finitePoints) - 1 // always end at the newest point
			}
			xy = append(xy, [2]float64{toX(finitePoints[j].Epoch), toY(ys[j])})
		}
		return monotonePath(xy, chartSmooth)
	}
	raw := make([]float64, len(finitePoints))
	for i, p := range finitePoints {
		raw[i] = p.Loss
	}
	c.Path = toPath(raw)
	// The smoothed curve stays within the raw one's range (each value is a
	// weighted mean of raw values), so the axes fit both.
	if smooth = ClampSmoothing(smooth); smooth > 0 {
		c.Raw, c.Path = c.Path, toPath(SmoothEMA(raw, smooth))
	}
	xStep := xTickStep(xMax)
	for i := 0; float64(i)*xStep <= xMax+1e-9; i++ {
		v := float64(i) * xStep
		c.XTicks = append(c.XTicks, svgTick{Pos: toX(v), Label: formatTick(v, xStep)})
	}
	for i := 0; yMin+float64(i)*yStep <= yMax+yStep*1e-6; i++ {
		v := yMin + float64(i)*yStep
		c.YTicks = append(c.YTicks, svgTick{Pos: toY(v), Label: formatTick(v, yStep)})
	}
	return c
}

// monotonePath draws the points as ECharts draws a line with `smooth` and
// `smoothMonotone: 'x'`: one cubic Bezier per segment whose control points
// sit at the height of the segment's own ends, smooth × its width inside
// them (the first and last control points on the end points). The tangent
// is flat at every point, so a segment never leaves the range of its two
// points: no overshoot, no bump that is not in the data.
func monotonePath(xy [][2]float64, smooth float64) string {
	if len(xy) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("M" + svgNum(xy[0][0]) + " " + svgNum(xy[0][1]))
	for i := 1; i < len(xy); i++ {
		p, q := xy[i-1], xy[i]
		dx := q[0] - p[0]
		c0, c1 := p, q
		if i > 1 {
			c0 = [2]float64{p[0] + dx*smooth, p[1]}
		}
		if i < len(xy)-1 {
			c1 = [2]float64{q[0] - dx*smooth, q[1]}
		}
		b.WriteString(" C" + svgNum(c0[0]) + " " + svgNum(c0[1]) + " " + svgNum(c1[0]) + " " + svgNum(c1[1]) + " " + svgNum(q[0]) + " " + svgNum(q[1]))
	}
	return b.String()
}

// xTickStep is the epoch step between x ticks: the smallest of 0.1, 0.2,
// 0.5, 1, 2, 5, 10, … that keeps the axis to maxXTicks intervals.
func xTickStep(xMax float64) float64 {
	for scale := 0.1; ; scale *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if s := m * scale; xMax/s <= maxXTicks+1e-9 {
				return s
			}
		}
	}
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) {
		return 0.1
	}
	scale := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*scale >= raw*(1-1e-9) {
			return m * scale
		}
	}
	return 10 * scale
}

// formatTick writes v as ECharts labels its ticks: rounded to the step's
// decimals, without trailing zeros ("0", "0.2", "1", "1.2").
func formatTick(v, step float64) string {
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	scale := math.Pow(10, float64(decimals))
	v = math.Round(v*scale) / scale
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func svgNum(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
