package views

import (
	"math"
	"strconv"
	"strings"
)

// seriesSVG is SeriesChartOptions drawn by the server as SVG, for
// browsers without JavaScript: one polyline per series, a shared x axis in
// epochs, the left axis scaled to the left series and the right one from 0
// to 1. It uses staticChartWidth × staticChartHeight like the loss chart.
type seriesSVG struct {
	Lines                  []staticLine
	XMax, YMin, YMax       string
	Right                  bool // a right axis (0 to 1) is drawn
	Empty                  bool
	Left, Rgt, Top, Base   float64 // the plot area
	LegendY                float64
	leftMin, leftMax, xMax float64
}

type staticLine struct {
	Name, Color, Polyline string
	Raw                   string // the unsmoothed line, drawn faded under a smoothed one
	Dashed                bool
	LegendX               float64
	Mark                  *staticMark
}

// staticMark is a SeriesMark drawn: at pixel X, for the epoch it marks.
type staticMark struct {
	X, Epoch float64
	Label    string
}

func newSeriesSVG(series []Series, right bool, smooth float64) seriesSVG {
	c := seriesSVG{Left: 44, Rgt: staticChartWidth - 12, Top: 28, Base: staticChartHeight - 28, LegendY: 14, Right: right}
	if right {
		c.Rgt -= 32
	}
	c.leftMin, c.leftMax = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			if !finite(p[0]) || !finite(p[1]) {
				continue
			}
			c.xMax = math.Max(c.xMax, p[0])
			if !s.Right || !right {
				c.leftMin, c.leftMax = math.Min(c.leftMin, p[1]), math.Max(c.leftMax, p[1])
			}
		}
	}
	if c.xMax == 0 {
		c.Empty = true
		return c
	}
	if math.IsInf(c.leftMin, 0) {
		c.leftMin, c.leftMax = 0, 1
	}
	if c.leftMax-c.leftMin < 1e-9 {
		c.leftMax = c.leftMin + 1
	}
	legendX := c.Left
	for _, s := range series {
		l := staticLine{Name: s.Name, Color: s.Color, Dashed: s.Dashed, LegendX: legendX}
		legendX += 24 + 7*float64(len(s.Name))
		var pts [][2]float64
		for _, p := range s.Points {
			if finite(p[0]) && finite(p[1]) {
				pts = append(pts, p)
			}
		}
		lo, hi := c.leftMin, c.leftMax
		if s.Right && right {
			lo, hi = 0, 1
		}
		ys := make([]float64, len(pts))
		for i, p := range pts {
			ys[i] = p[1]
		}
		l.Polyline = c.polyline(pts, ys, lo, hi)
		if smooth = ClampSmoothing(smooth); smooth > 0 {
			l.Raw, l.Polyline = l.Polyline, c.polyline(pts, SmoothEMA(ys, smooth), lo, hi)
		}
		if m := s.Mark; m != nil && finite(m.X) {
			l.Mark = &staticMark{X: c.Left + m.X/c.xMax*(c.Rgt-c.Left), Epoch: m.X, Label: m.Label}
		}
		c.Lines = append(c.Lines, l)
	}
	c.XMax = strconv.FormatFloat(c.xMax, 'g', 4, 64)
	c.YMin, c.YMax = formatLoss(c.leftMin), formatLoss(c.leftMax)
	return c
}

// polyline scales pts (with ys as their values) into the plot area, one
// dot in every few so that at most staticChartMaxDots are drawn.
func (c seriesSVG) polyline(pts [][2]float64, ys []float64, lo, hi float64) string {
	var b strings.Builder
	step := max(1, (len(pts)+staticChartMaxDots-1)/staticChartMaxDots)
	for i := 0; i < len(pts); i += step {
		j := i
		if i+step >= len(pts) {
			j = len(pts) - 1
		}
		x := c.Left + pts[j][0]/c.xMax*(c.Rgt-c.Left)
		y := c.Base - (ys[j]-lo)/(hi-lo)*(c.Base-c.Top)
		b.WriteString(svgNum(x) + "," + svgNum(y) + " ")
	}
	return strings.TrimSpace(b.String())
}

func (l staticLine) dash() string {
	if l.Dashed {
		return "6 4"
	}
	return "none"
}
