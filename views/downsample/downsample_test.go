package downsample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// point is a loss point that remembers where it came from.
type point struct {
	i    int
	x, y float64
}

func xy(p point) (float64, float64) { return p.x, p.y }

// lossCurve is n points of a falling, noisy loss, as a run reports it
// (x in epochs, ten epochs).
func lossCurve(n int, seed uint64) []point {
	r := rand.New(rand.NewPCG(seed, 1))
	pts := make([]point, n)
	for i := range pts {
		x := 10 * float64(i) / float64(n)
		pts[i] = point{i: i, x: x, y: 0.3 + 2*math.Exp(-x) + 0.05*r.Float64()}
	}
	return pts
}

func indices(pts []point) []int {
	out := make([]int, len(pts))
	for k, p := range pts {
		out[k] = p.i
	}
	return out
}

// checkShape checks what every downsampling promises: at most n points, the
// first and the last among them, in their order.
func checkShape(t *testing.T, name string, in, out []point, n int) {
	t.Helper()
	if len(out) > n || len(out) < 2 {
		t.Errorf("%s kept %d of %d points; want 2 to %d", name, len(out), len(in), n)
	}
	if out[0].i != 0 || out[len(out)-1].i != len(in)-1 {
		t.Errorf("%s kept points %d…%d; want the first and the last", name, out[0].i, out[len(out)-1].i)
	}
	if !slices.IsSorted(indices(out)) || len(slices.Compact(indices(out))) != len(out) {
		t.Errorf("%s changed the order or repeated a point", name)
	}
}

func TestASingleBatchSpikeSurvives(t *testing.T) {
	for _, at := range []int{1, 777, 54_321, 99_998} {
		pts := lossCurve(100_000, uint64(at))
		pts[at].y = 10 * max(pts[at-1].y, pts[at+1].y)
		for name, down := range map[string]func([]point, int, func(point) (float64, float64)) []point{
			"LTTB": LTTB[point], "MinMax": MinMax[point],
		} {
			out := down(pts, 2000, xy)
			checkShape(t, name, pts, out, 2000)
			if !slices.Contains(indices(out), at) {
				t.Errorf("%s dropped the spike at point %d of 100,000", name, at)
			}
		}
	}
}

// LTTB keeps one point per bucket, so of an up and a down spike that fall
// into one bucket only one survives; MinMax is there for that case.
func TestOppositeSpikesInOneBucket(t *testing.T) {
	pts := lossCurve(100_000, 3)
	up, down := 50_010, 50_020 // buckets are 50 points wide
	pts[up].y, pts[down].y = 10*pts[up].y, -10*pts[down].y

	lttb := indices(LTTB(pts, 2000, xy))
	if slices.Contains(lttb, up) && slices.Contains(lttb, down) {
		t.Errorf("LTTB kept both spikes of one bucket; this test no longer shows its limit")
	}
	if !slices.Contains(lttb, up) && !slices.Contains(lttb, down) {
		t.Errorf("LTTB dropped both spikes")
	}
	mm := MinMax(pts, 2000, xy)
	checkShape(t, "MinMax", pts, mm, 2000)
	if got := indices(mm); !slices.Contains(got, up) || !slices.Contains(got, down) {
		t.Errorf("MinMax dropped a spike: kept %v of %d and %d", slices.Contains(got, up), up, down)
	}
}

func TestFewPointsComeBackAsTheyAre(t *testing.T) {
	pts := lossCurve(10, 1)
	for _, n := range []int{0, 2, 10, 11, 1000} {
		if got := LTTB(pts, n, xy); len(got) != len(pts) {
			t.Errorf("LTTB(10 points, %d) kept %d", n, len(got))
		}
	}
	if got := MinMax(pts, 3, xy); len(got) != len(pts) {
		t.Errorf("MinMax(10 points, 3) kept %d", len(got))
	}
	if got := LTTB([]point{}, 5, xy); len(got) != 0 {
		t.Errorf("LTTB of nothing gave %d points", len(got))
	}
}

func TestExactCountAndEnds(t *testing.T) {
	for _, size := range []int{4, 5, 101, 2001, 2002, 12_345} {
		pts := lossCurve(size, 2)
		for _, n := range []int{3, 4, 7, 2000} {
			if n >= size {
				continue
			}
			out := LTTB(pts, n, xy)
			if len(out) != n {
				t.Errorf("LTTB(%d points, %d) kept %d", size, n, len(out))
			}
			checkShape(t, "LTTB", pts, out, n)
			if n >= 4 {
				checkShape(t, "MinMax", pts, MinMax(pts, n, xy), n)
			}
		}
	}
}

// A diverged run's NaN losses must not blind the downsampling to the
// numbers around them.
func TestNaNLossesDoNotHideASpike(t *testing.T) {
	pts := lossCurve(100_000, 4)
	for i := 20_000; i < 20_500; i++ {
		pts[i].y = math.NaN()
	}
	at := 60_000
	pts[at].y = 10 * pts[at].y
	for name, out := range map[string][]point{"LTTB": LTTB(pts, 2000, xy), "MinMax": MinMax(pts, 2000, xy)} {
		checkShape(t, name, pts, out, 2000)
		if !slices.Contains(indices(out), at) {
			t.Errorf("%s dropped the spike after NaN losses", name)
		}
	}
}

// BenchmarkLTTB thins 2 million points, a long run's whole curve, to a
// chart's 2,000.
func BenchmarkLTTB(b *testing.B) {
	pts := lossCurve(2_000_000, 5)
	b.ReportAllocs()
	for b.Loop() {
		LTTB(pts, 2000, xy)
	}
}

func BenchmarkMinMax(b *testing.B) {
	pts := lossCurve(2_000_000, 5)
	b.ReportAllocs()
	for b.Loop() {
		MinMax(pts, 2000, xy)
	}
}
