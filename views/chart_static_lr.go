package views

import (
	"math"
	"strings"
)

// withLR adds to c the learning rate the points carry (drawn as steps on
// its own scale, as the trainer changes it per batch) and the markers of
// live learning-rate changes. Points of runs stored before the rate was
// recorded carry 0 and draw nothing.
func (c staticChart) withLR(points []LossPoint, markers []ChartMarker) staticChart {
	if c.Empty {
		return c
	}
	toX := func(epoch float64) float64 { return c.Left + epoch/c.XMax*(c.Right-c.Left) }
	top := 0.0
	for _, p := range points {
		if finite(p.LR) {
			top = math.Max(top, p.LR)
		}
	}
	if top > 0 {
		step := max(1, (len(points)+staticChartMaxDots-1)/staticChartMaxDots)
		var b strings.Builder
		for i := 0; i < len(points); i += step {
			p := points[i]
			if !finite(p.Epoch) || !finite(p.LR) || p.LR <= 0 {
				continue
			}
			x, y := svgNum(toX(p.Epoch)), svgNum(c.Base-p.LR/top*(c.Base-c.Top))
			if b.Len() == 0 {
				b.WriteString("M" + x + " " + y + " ")
				continue
			}
			// Steps, as ECharts' step: "end": the rate holds until the point
			// that reports a new one.
			b.WriteString("H" + x + " V" + y + " ")
		}
		c.LRPath, c.LRMax = strings.TrimSpace(b.String()), formatLR(top)
	}
	for _, m := range markers {
		if m.Kind == "lr" && m.X <= c.XMax {
			c.LRMarkers = append(c.LRMarkers, svgTick{Pos: toX(m.X), Label: m.Label})
		}
		if m.Kind == "warning" && m.X <= c.XMax {
			c.WarnMarkers = append(c.WarnMarkers, svgTick{Pos: toX(m.X), Label: m.Label})
		}
	}
	return c
}

// b2f is 1 for true, 0 for false: an offset that applies or not.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// anchorEnd is the text-anchor of a label that must not run off the right.
func anchorEnd(end bool) string {
	if end {
		return "end"
	}
	return "start"
}
