package downsample

// MinMax picks at most n of pts: the first and last points, and from each
// of (n-2)/2 equal buckets between them the lowest and the highest point
// (in their order), so every extreme of the curve survives, even an up and
// a down spike in one bucket, which LTTB would thin to one. NaN values are
// never picked over numbers. With n < 4, or no more than n points, pts
// comes back as it is.
func MinMax[P any](pts []P, n int, xy func(P) (x, y float64)) []P {
	if n >= len(pts) || n < 4 {
		return pts
	}
	buckets := (n - 2) / 2
	out := make([]P, 0, n)
	out = append(out, pts[0])
	for i := range buckets {
		lo, hi := bucketEdge(i, len(pts)-2, buckets), bucketEdge(i+1, len(pts)-2, buckets)
		minJ, maxJ := lo, lo
		_, minY := xy(pts[lo])
		maxY := minY
		for j := lo + 1; j < hi; j++ {
			_, y := xy(pts[j])
			// Written so that a NaN at lo is replaced by any number.
			if y < minY || minY != minY {
				minJ, minY = j, y
			}
			if y > maxY || maxY != maxY {
				maxJ, maxY = j, y
			}
		}
		switch {
		case minJ == maxJ:
			out = append(out, pts[minJ])
		case minJ < maxJ:
			out = append(out, pts[minJ], pts[maxJ])
		default:
			out = append(out, pts[maxJ], pts[minJ])
		}
	}
	return append(out, pts[len(pts)-1])
}
