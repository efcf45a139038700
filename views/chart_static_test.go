package views

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestStaticLossChartDrawsTheCurveWithoutJavaScript(t *testing.T) {
	var points []LossPoint
	for i := 1; i <= 1000; i++ {
		points = append(points, LossPoint{Epoch: float64(i) / 500, Loss: 2 / float64(i)})
	}
	points = append(points, LossPoint{Epoch: 2.01, Loss: math.NaN()}) // a diverged point is left out
	c := newStaticChart(points, 0)
	dots := strings.Fields(c.Polyline)
	if len(dots) < 100 || len(dots) > staticChartMaxDots+1 {
		t.Fatalf("%d points drawn, want between 100 and %d", len(dots), staticChartMaxDots+1)
	}
	first, last := dots[0], dots[len(dots)-1]
	// The first point is the highest loss (top of the plot), the last the
	// lowest at epoch 2 (right end, on the base line).
	if want := svgNum(c.Left+0.002/2*(c.Right-c.Left)) + "," + svgNum(c.Top); first != want {
		t.Errorf("first point %s, want %s", first, want)
	}
	if want := svgNum(c.Right) + "," + svgNum(c.Base); last != want {
		t.Errorf("last point %s, want %s", last, want)
	}
	if c.XMax != "2.0" || c.YMax != formatLoss(2) || c.YMin != formatLoss(0.002) {
		t.Errorf("labels x max %s, y %s..%s", c.XMax, c.YMin, c.YMax)
	}

	var html strings.Builder
	if err := staticLossChart(points, 0).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "<polyline class=\"curve\" points=\""+c.Polyline+"\"") {
		t.Errorf("the SVG lacks the curve:\n%s", html.String())
	}
	html.Reset()
	if err := staticLossChart(nil, 0).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "No loss points yet") || strings.Contains(html.String(), "<svg") {
		t.Errorf("an empty chart renders %q", html.String())
	}
}

func TestStaticChartsSmoothedKeepTheRawCurveFaded(t *testing.T) {
	var points []LossPoint
	for i := 1; i <= 300; i++ {
		points = append(points, LossPoint{Epoch: float64(i) / 100, Loss: 1 + float64(i%2)}) // a zigzag
	}
	raw, smoothed := newStaticChart(points, 0), newStaticChart(points, 0.8)
	if raw.Raw != "" {
		t.Errorf("an unsmoothed chart draws a second curve")
	}
	if smoothed.Raw != raw.Polyline {
		t.Errorf("the faded curve is not the raw one")
	}
	if smoothed.Polyline == raw.Polyline {
		t.Fatalf("smoothing did not change the curve")
	}
	// Debiased: both curves start at the same dot.
	if a, b := strings.Fields(raw.Polyline)[0], strings.Fields(smoothed.Polyline)[0]; a != b {
		t.Errorf("the smoothed curve starts at %s, the raw one at %s", b, a)
	}

	series := []Series{{Name: "run 1", Color: "#000", Points: [][2]float64{{1, 2}, {2, 1}, {3, 2}, {4, 1}}}}
	c := newSeriesSVG(series, false, 0.6)
	if c.Lines[0].Raw == "" || c.Lines[0].Raw == c.Lines[0].Polyline {
		t.Errorf("a smoothed series: raw %q, smoothed %q", c.Lines[0].Raw, c.Lines[0].Polyline)
	}
	if c := newSeriesSVG(series, false, 0); c.Lines[0].Raw != "" {
		t.Errorf("an unsmoothed series draws a faded copy")
	}
}
