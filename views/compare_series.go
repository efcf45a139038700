package views

import (
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// The comparison's curves: one per run, and a fork's drawn from the point
// where it left its parent, marked "fork of N".

// compareSeries are the compared runs' loss curves, one colour each.
func compareSeries(v CompareView) []Series {
	out := make([]Series, len(v.Runs))
	for i, r := range v.Runs {
		pts := make([][2]float64, len(r.Loss))
		for j, p := range r.Loss {
			pts[j] = [2]float64{p.Epoch, p.Loss}
		}
		out[i] = Series{Name: "run " + strconv.FormatInt(r.Row.ID, 10), Color: r.Color, Points: pts}
		if r.Row.Parent != nil {
			out[i].Points, out[i].Mark = forkStart(v, *r.Row.Parent, r.Row.Config, pts)
		}
	}
	return out
}

// forkStart makes a fork's curve (pts) start where it left its parent: at
// the fork point's x, on the parent's curve if the parent is compared too
// (so the lines join), else at the fork's own first loss. The mark labels
// that point.
func forkStart(v CompareView, p fmnist.ForkPoint, cfg fmnist.Config, pts [][2]float64) ([][2]float64, *SeriesMark) {
	label := "fork of run " + strconv.FormatInt(p.RunID, 10)
	if p.RunID == 0 {
		label = "fork of a deleted run"
	}
	x, known := ForkX(p, cfg, v.TrainImages)
	if !known {
		if len(pts) == 0 {
			return pts, nil
		}
		return pts, &SeriesMark{X: pts[0][0], Label: label}
	}
	mark := &SeriesMark{X: x, Label: label}
	if len(pts) > 0 && pts[0][0] <= x {
		return pts, mark
	}
	y, ok := parentLossAt(v, p.RunID, x)
	switch {
	case ok:
	case len(pts) > 0:
		y = pts[0][1]
	default:
		return pts, mark
	}
	return append([][2]float64{{x, y}}, pts...), mark
}

// ForkX is where on its parent's curve (in fractional epochs, as the loss
// points' x) a fork started, given its config and the training set's size.
// A fork from the end of an epoch needs neither; one from the middle of an
// epoch cannot be placed without the size (known is false).
func ForkX(p fmnist.ForkPoint, cfg fmnist.Config, trainImages int) (x float64, known bool) {
	if p.Batch == 0 {
		return float64(p.Epoch), true
	}
	batches := cfg.BatchesPerEpoch(trainImages)
	if trainImages <= 0 || batches <= 0 {
		return 0, false
	}
	return float64(p.Epoch-1) + float64(p.Batch)/float64(batches), true
}

// parentLossAt is the compared run parent's loss at x: its last point at or
// before x. ok is false when the parent is not compared or has no such point.
func parentLossAt(v CompareView, parent int64, x float64) (loss float64, ok bool) {
	for _, r := range v.Runs {
		if r.Row.ID != parent || parent == 0 {
			continue
		}
		for _, p := range r.Loss {
			if p.Epoch > x+1e-9 {
				break
			}
			if finite(p.Loss) {
				loss, ok = p.Loss, true
			}
		}
	}
	return loss, ok
}

// epoch is the run's result of epoch e. A fork's results start after its
// fork point, so they are looked up by number, not position.
func (r CompareRun) epoch(e int) (EpochView, bool) {
	for _, ep := range r.Epochs {
		if ep.Epoch == e {
			return ep, true
		}
	}
	return EpochView{}, false
}
