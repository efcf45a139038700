package views

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
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
	start, segs := parsePath(t, c.Path)
	if len(segs) < 100 || len(segs) > staticChartMaxDots {
		t.Fatalf("%d segments drawn, want between 100 and %d", len(segs), staticChartMaxDots)
	}
	// The first point is the highest loss (2, the top of the y axis), the
	// last the lowest at epoch 2 (right end, on the base line: the axis
	// runs 0..2 in steps of 0.5).
	if want := [2]float64{round1(c.Left + 0.002/2*(c.Right-c.Left)), round1(c.Top)}; start != want {
		t.Errorf("first point %v, want %v", start, want)
	}
	if last, want := segs[len(segs)-1][3], [2]float64{round1(c.Right), round1(c.Base)}; math.Abs(last[0]-want[0]) > 0.05 || math.Abs(last[1]-want[1]) > 2 {
		t.Errorf("last point %v, want about %v", last, want)
	}
	if got, want := tickLabels(c.XTicks), "0 0.2 0.4 0.6 0.8 1 1.2 1.4 1.6 1.8 2"; got != want {
		t.Errorf("x ticks %q, want %q", got, want)
	}
	if got, want := tickLabels(c.YTicks), "0 0.5 1 1.5 2"; got != want {
		t.Errorf("y ticks %q, want %q", got, want)
	}

	var html strings.Builder
	if err := staticLossChart(points, 0, nil).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	if !strings.Contains(out, `<path class="curve" d="`+c.Path+`"`) {
		t.Errorf("the SVG lacks the curve:\n%s", out)
	}
	if n := strings.Count(out, "<line"); n != 2+len(c.XTicks)+len(c.YTicks)-1 {
		t.Errorf("%d lines: want a base line, an x tick each and a gridline per y tick but the base", n)
	}
	html.Reset()
	if err := staticLossChart(nil, 0, nil).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "No loss points yet") || strings.Contains(html.String(), "<svg") {
		t.Errorf("an empty chart renders %q", html.String())
	}
}

func TestStaticChartCurveStaysBetweenNeighbouringPoints(t *testing.T) {
	step := []LossPoint{}
	for i := 1; i <= 40; i++ {
		loss := 2.3
		if i > 20 {
			loss = 0.5 // a step: any overshoot would dip below 0.5 or rise above 2.3
		}
		step = append(step, LossPoint{Epoch: float64(i) / 20, Loss: loss})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := []LossPoint{}
	for i := 1; i <= 300; i++ {
		noisy = append(noisy, LossPoint{Epoch: float64(i) / 100, Loss: 0.3 + rng.Float64()*(2/float64(i)+0.2)})
	}
	for name, points := range map[string][]LossPoint{"step": step, "noisy": noisy} {
		for _, smooth := range []float64{0, 0.6} {
			c := newStaticChart(points, smooth)
			from, segs := parsePath(t, c.Path)
			for _, s := range segs {
				p0, p3 := from, s[3]
				for k := 0; k <= 64; k++ {
					x, y := cubicAt(from, s[1], s[2], p3, float64(k)/64)
					if y < math.Min(p0[1], p3[1])-1e-9 || y > math.Max(p0[1], p3[1])+1e-9 ||
						x < p0[0]-1e-9 || x > p3[0]+1e-9 {
						t.Fatalf("%s, smooth %v: the segment %v → %v passes (%.3f, %.3f), outside its ends", name, smooth, p0, p3, x, y)
					}
				}
				from = p3
			}
		}
	}
}

// parsePath reads "Mx y Cx y x y x y …" into its start and its cubic
// segments (index 0 unused, then the two control points and the end).
func parsePath(t *testing.T, d string) ([2]float64, [][4][2]float64) {
	t.Helper()
	fields := strings.Fields(strings.NewReplacer("M", " M ", "C", " C ").Replace(d))
	var nums []float64
	if len(fields) < 3 || fields[0] != "M" {
		t.Fatalf("path %q does not start with M", d)
	}
	for _, f := range fields[3:] {
		if f == "C" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("path %q: %v", d, err)
		}
		nums = append(nums, v)
	}
	x0, err1 := strconv.ParseFloat(fields[1], 64)
	y0, err2 := strconv.ParseFloat(fields[2], 64)
	if err1 != nil || err2 != nil || len(nums)%6 != 0 || strings.Count(d, "C")*6 != len(nums) {
		t.Fatalf("path %q is not M then C segments", d)
	}
	var segs [][4][2]float64
	for i := 0; i < len(nums); i += 6 {
		segs = append(segs, [4][2]float64{{}, {nums[i], nums[i+1]}, {nums[i+2], nums[i+3]}, {nums[i+4], nums[i+5]}})
	}
	return [2]float64{x0, y0}, segs
}

func cubicAt(p0, p1, p2, p3 [2]float64, t float64) (x, y float64) {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return a*p0[0] + b*p1[0] + c*p2[0] + d*p3[0], a*p0[1] + b*p1[1] + c*p2[1] + d*p3[1]
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func tickLabels(ticks []svgTick) string {
	var out []string
	for _, t := range ticks {
		out = append(out, t.Label)
	}
	return strings.Join(out, " ")
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
	if smoothed.Raw != raw.Path {
		t.Errorf("the faded curve is not the raw one")
	}
	if smoothed.Path == raw.Path {
		t.Fatalf("smoothing did not change the curve")
	}
	// Debiased: both curves start at the same point.
	if a, b := strings.Fields(raw.Path)[0], strings.Fields(smoothed.Path)[0]; a != b {
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

func TestLossChartSubtitleSaysWhatAPointIs(t *testing.T) {
	for n, want := range map[int]string{
		47: "mean loss over the last 47 batches · x in epochs",
		1:  "loss of each batch · x in epochs",
		0:  "mean loss over the batches since the previous point · x in epochs",
	} {
		var html strings.Builder
		if err := lossChart(ChartView{BatchesPerPoint: n}).Render(context.Background(), &html); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html.String(), want) {
			t.Errorf("%d batches per point: the subtitle is not %q", n, want)
		}
	}
}

// x ticks every 0.1, 0.2, 0.5 or 1 epoch (then 2, 5, 10 …), the finest that
// keeps to maxXTicks intervals; y ticks at round values.
func TestStaticChartTickSteps(t *testing.T) {
	for xMax, want := range map[float64]float64{0.1: 0.1, 0.7: 0.1, 1: 0.1, 1.1: 0.2, 2: 0.2, 3: 0.5, 5: 0.5, 7: 1, 10: 1, 16: 2, 100: 10} {
		if got := xTickStep(xMax); math.Abs(got-want) > 1e-12 {
			t.Errorf("x axis to %v: ticks every %v, want %v", xMax, got, want)
		}
	}
	for raw, want := range map[float64]float64{0.37: 0.5, 0.4: 0.5, 0.15: 0.2, 0.1: 0.1, 0.06: 0.1, 2.5: 5, 0: 0.1} {
		if got := niceStep(raw); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
}
