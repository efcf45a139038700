package views

import (
	"math"
	"testing"
)

func TestSmoothEMAIsDebiased(t *testing.T) {
	ys := []float64{2, 1, 4, 3}
	got := SmoothEMA(ys, 0.6)
	// Debiased, the first value is the raw one: (1-w)*x1 / (1-w) = x1.
	if got[0] != 2 {
		t.Errorf("first smoothed value %v, want exactly the raw 2", got[0])
	}
	// By hand: ema2 = 0.6*0.8 + 0.4*1 = 0.88, over 1-0.36 = 0.64.
	want := []float64{2, 0.88 / 0.64}
	ema := 0.88
	for i, w := 2, 0.36*0.6; i < len(ys); i, w = i+1, w*0.6 {
		ema = 0.6*ema + 0.4*ys[i]
		want = append(want, ema/(1-w))
	}
	for i := range ys {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("smoothed[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// A constant stays constant (no bias toward zero), and 0 is no smoothing.
	for i, v := range SmoothEMA([]float64{5, 5, 5, 5, 5}, 0.99) {
		if math.Abs(v-5) > 1e-9 {
			t.Errorf("a constant 5 smoothed to %v at %d", v, i)
		}
	}
	for i, v := range SmoothEMA(ys, 0) {
		if v != ys[i] {
			t.Errorf("weight 0 changed %v to %v", ys[i], v)
		}
	}
}

func TestClampSmoothing(t *testing.T) {
	for in, want := range map[float64]float64{-1: 0, 0.5: 0.5, 1: MaxSmoothing, math.NaN(): 0} {
		if got := ClampSmoothing(in); got != want {
			t.Errorf("ClampSmoothing(%v) = %v, want %v", in, got, want)
		}
	}
}

// BenchmarkSmoothEMA smooths a chart's largest series (MaxSeriesPoints).
func BenchmarkSmoothEMA(b *testing.B) {
	ys := make([]float64, MaxSeriesPoints)
	for i := range ys {
		ys[i] = 2 / float64(i+1)
	}
	for b.Loop() {
		SmoothEMA(ys, 0.6)
	}
}
