package views

import "github.com/fmnist/trainer/views/downsample"

// MaxSeriesPoints caps every chart series the server sends: more points
// than a chart has pixels only make the page heavier.
const MaxSeriesPoints = 2000

// Decimate keeps at most n points of a curve, in order, with its ends and
// the lowest and highest point of each stretch, so a spike of a single
// batch survives (downsample.MinMax). Shorter curves come back as they are.
func Decimate(points []LossPoint, n int) []LossPoint {
	return downsample.MinMax(points, n, func(p LossPoint) (float64, float64) { return p.Epoch, p.Loss })
}
