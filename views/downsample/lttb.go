// Package downsample thins a curve for a chart: at most n points, chosen so
// that the curve still looks the same, spikes included. It keeps the
// caller's own point type and order; x must not decrease.
package downsample

import "math"

// LTTB picks at most n of pts by Largest-Triangle-Three-Buckets (Steinarsson
// 2013): the first and last points, and from each of n-2 equal buckets
// between them the point that spans the largest triangle with the point
// picked before it and the mean of the next bucket. A lone spike spans a
// large triangle and survives; two opposite spikes in one bucket do not
// both survive (MinMax keeps both). xy gives a point's coordinates. With
// n < 3, or no more than n points, pts comes back as it is.
func LTTB[P any](pts []P, n int, xy func(P) (x, y float64)) []P {
	if n >= len(pts) || n < 3 {
		return pts
	}
	out := make([]P, 0, n)
	out = append(out, pts[0])
	// The buckets split pts[1:len-1]; bucket i is [edge(i), edge(i+1)).
	edge := func(i int) int { return bucketEdge(i, len(pts)-2, n-2) }
	ax, ay := xy(pts[0])
	for i := range n - 2 {
		lo, hi := edge(i), edge(i+1)
		// The next bucket's mean; the last bucket's next is the last point.
		cx, cy := meanXY(pts, edge(i+1), edge(i+2), xy)
		if i == n-3 {
			cx, cy = xy(pts[len(pts)-1])
		}
		best, bestArea := lo, -1.0
		for j := lo; j < hi; j++ {
			bx, by := xy(pts[j])
			// Twice the triangle's area; a NaN area (a NaN loss) never wins,
			// so such a point is kept only from a bucket of nothing else.
			area := math.Abs((ax-cx)*(by-ay) - (ax-bx)*(cy-ay))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		out = append(out, pts[best])
		ax, ay = xy(pts[best])
	}
	return append(out, pts[len(pts)-1])
}

// bucketEdge is where bucket i of k equal buckets over the inner points
// pts[1:1+inner] begins; bucket k "begins" at the last point. Integer
// arithmetic, so no point falls between two buckets by rounding.
func bucketEdge(i, inner, k int) int {
	return 1 + i*inner/k
}

// meanXY is the mean of the points from lo up to hi (clipped to the points before the last),
// skipping non-finite coordinates so that one NaN does not blind a bucket.
func meanXY[P any](pts []P, lo, hi int, xy func(P) (x, y float64)) (float64, float64) {
	hi = min(hi, len(pts)-1)
	var sx, sy float64
	var k int
	for j := lo; j < hi; j++ {
		x, y := xy(pts[j])
		if math.IsNaN(x+y) || math.IsInf(x+y, 0) {
			continue
		}
		sx, sy, k = sx+x, sy+y, k+1
	}
	if k == 0 {
		return xy(pts[min(lo, len(pts)-1)])
	}
	return sx / float64(k), sy / float64(k)
}
