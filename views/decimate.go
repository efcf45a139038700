package views

// MaxSeriesPoints caps every chart series the server sends: more points
// than a chart has pixels only make the page heavier.
const MaxSeriesPoints = 2000

// Decimate keeps at most n points of a curve, in order: the curve is cut
// into n/2 buckets and each keeps its lowest and highest point, so a spike
// of a single batch survives. Shorter curves come back as they are.
func Decimate(points []LossPoint, n int) []LossPoint {
	if n < 2 || len(points) <= n {
		return points
	}
	buckets := n / 2
	out := make([]LossPoint, 0, 2*buckets)
	for b := range buckets {
		lo, hi := b*len(points)/buckets, (b+1)*len(points)/buckets
		minI, maxI := lo, lo
		for i := lo; i < hi; i++ {
			// NaN (a diverged loss) compares false and is never kept.
			if points[i].Loss < points[minI].Loss || !finite(points[minI].Loss) {
				minI = i
			}
			if points[i].Loss > points[maxI].Loss || !finite(points[maxI].Loss) {
				maxI = i
			}
		}
		if minI > maxI {
			minI, maxI = maxI, minI
		}
		out = append(out, points[minI])
		if maxI != minI {
			out = append(out, points[maxI])
		}
	}
	return out
}
