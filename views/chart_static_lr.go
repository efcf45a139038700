package views

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
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
	var lr, warn []svgTick
	for _, m := range markers {
		if m.Kind == "lr" && m.X <= c.XMax {
			lr = append(lr, svgTick{Pos: toX(m.X), Label: m.Label})
		}
		if m.Kind == "warning" && m.X <= c.XMax {
			warn = append(warn, svgTick{Pos: toX(m.X), Label: m.Label})
		}
	}
	c.LRMarkers, c.WarnMarkers = spaceLabels(lr, c.Right), spaceLabels(warn, c.Right)
	return c
}

// svgMarker is a vertical marker line; its label is drawn only where it
// does not overlap the one before (Title, a tooltip, always holds it).
type svgMarker struct {
	Pos          float64
	Label, Title string
	End          bool // the label ends at the line: it would run off the right
}

// A marker label's width is estimated as markerCharWidth user units a
// character (font-size 10), and it needs markerLabelGap more beyond it.
const (
	markerCharWidth = 5.5
	markerLabelGap  = 6
)

// spaceLabels turns ticks into markers whose labels, on one line of text,
// never overlap: a label that would is left to the marker's tooltip. A
// label near right runs leftwards from its line.
func spaceLabels(ticks []svgTick, right float64) []svgMarker {
	sort.SliceStable(ticks, func(i, j int) bool { return ticks[i].Pos < ticks[j].Pos })
	out := make([]svgMarker, len(ticks))
	free := math.Inf(-1) // where the next label may begin
	for i, t := range ticks {
		width := markerCharWidth * float64(utf8.RuneCountInString(t.Label))
		m := svgMarker{Pos: t.Pos, Title: t.Label, End: t.Pos+3+width > right}
		from, to := t.Pos+3, t.Pos+3+width
		if m.End {
			from, to = t.Pos-3-width, t.Pos-3
		}
		if from >= free {
			m.Label, free = t.Label, to+markerLabelGap
		}
		out[i] = m
	}
	return out
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
