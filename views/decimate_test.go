package views

import (
	"math"
	"testing"
)

func TestDecimateKeepsASingleBatchSpike(t *testing.T) {
	points := make([]LossPoint, 100_000)
	for i := range points {
		points[i] = LossPoint{Epoch: float64(i) / 1000, Loss: 1 + 0.1*math.Sin(float64(i)/50)}
	}
	points[54_321].Loss = 9
	points[77_777].Loss = -3
	got := Decimate(points, MaxSeriesPoints)
	if len(got) > MaxSeriesPoints {
		t.Fatalf("Decimate kept %d points; want at most %d", len(got), MaxSeriesPoints)
	}
	var spike, dip bool
	for i, p := range got {
		spike = spike || p == points[54_321]
		dip = dip || p == points[77_777]
		if i > 0 && p.Epoch <= got[i-1].Epoch {
			t.Fatalf("point %d (epoch %v) is not after point %d (epoch %v)", i, p.Epoch, i-1, got[i-1].Epoch)
		}
	}
	if !spike || !dip {
		t.Errorf("the spike (kept: %v) and the dip (kept: %v) must survive", spike, dip)
	}
	if short := points[:10]; len(Decimate(short, MaxSeriesPoints)) != 10 {
		t.Errorf("a short curve must come back whole")
	}
}
