package views

import (
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// TestForkCurveStartsAtTheForkPoint: a fork's curve in a comparison starts
// where it left its parent (on the parent's curve when both are compared),
// from the end of an epoch or from its middle, and carries a "fork of" mark.
func TestForkCurveStartsAtTheForkPoint(t *testing.T) {
	cfg := fmnist.Config{Epochs: 3, BatchSize: 10, LR: 0.001, TrainLimit: 100} // 10 batches an epoch
	parent := CompareRun{Row: RunRow{ID: 1, Config: cfg},
		Loss: []LossPoint{{Epoch: 0.5, Loss: 2}, {Epoch: 1, Loss: 1.5}, {Epoch: 1.5, Loss: 1.2}, {Epoch: 2, Loss: 1}}}
	fork := func(p fmnist.ForkPoint, loss ...LossPoint) CompareRun {
		return CompareRun{Row: RunRow{ID: 2, Config: cfg, Parent: &p}, Loss: loss}
	}
	for _, c := range []struct {
		what      string
		v         CompareView
		wantFirst [2]float64
		wantMark  float64
		wantLabel string
	}{
		{"after epoch 1, beside its parent",
			CompareView{Runs: []CompareRun{parent, fork(fmnist.ForkPoint{RunID: 1, Epoch: 1}, LossPoint{Epoch: 1.1, Loss: 1.4})}},
			[2]float64{1, 1.5}, 1, "fork of run 1"},
		{"in epoch 2 after batch 5, beside its parent",
			CompareView{TrainImages: 60000, Runs: []CompareRun{parent, fork(fmnist.ForkPoint{RunID: 1, Epoch: 2, Batch: 5}, LossPoint{Epoch: 1.6, Loss: 1.1})}},
			[2]float64{1.5, 1.2}, 1.5, "fork of run 1"},
		{"after epoch 1, alone",
			CompareView{Runs: []CompareRun{fork(fmnist.ForkPoint{RunID: 1, Epoch: 1}, LossPoint{Epoch: 1.1, Loss: 1.4})}},
			[2]float64{1, 1.4}, 1, "fork of run 1"},
		{"in mid-epoch with the training set's size unknown",
			CompareView{Runs: []CompareRun{fork(fmnist.ForkPoint{RunID: 1, Epoch: 2, Batch: 5}, LossPoint{Epoch: 1.6, Loss: 1.1})}},
			[2]float64{1.6, 1.1}, 1.6, "fork of run 1"},
		{"of a deleted parent",
			CompareView{Runs: []CompareRun{fork(fmnist.ForkPoint{Epoch: 1}, LossPoint{Epoch: 1.1, Loss: 1.4})}},
			[2]float64{1, 1.4}, 1, "fork of a deleted run"},
	} {
		series := compareSeries(c.v)
		s := series[len(series)-1]
		if len(s.Points) == 0 || s.Points[0] != c.wantFirst || s.Mark == nil || s.Mark.X != c.wantMark || s.Mark.Label != c.wantLabel {
			t.Errorf("%s: points %v, mark %+v; want the first at %v and %q at %v", c.what, s.Points, s.Mark, c.wantFirst, c.wantLabel, c.wantMark)
		}
		if len(series) == 2 && series[0].Mark != nil {
			t.Errorf("%s: the parent is marked too", c.what)
		}
		svg := newSeriesSVG(series, false, 0)
		if m := svg.Lines[len(svg.Lines)-1].Mark; m == nil || m.Epoch != c.wantMark || m.Label != c.wantLabel {
			t.Errorf("%s: the static chart's mark %+v", c.what, m)
		}
	}
}
