package fmnist

import (
	"math"
	"reflect"
	"testing"
)

func TestConfusionScoresAndMostConfused(t *testing.T) {
	var c Confusion
	c[0][0], c[0][6] = 80, 20 // 20 T-shirts taken for shirts
	c[6][6], c[6][0] = 60, 40 // 40 shirts taken for T-shirts
	c[1][1] = 100
	c[2][4] = 5 // no pullover right
	if c.Total() != 305 || c.Correct() != 240 || c.Accuracy() != 240.0/305.0 {
		t.Errorf("total %d, correct %d, accuracy %v", c.Total(), c.Correct(), c.Accuracy())
	}
	s := c.Scores()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	// T-shirt: precision 80/120, recall 80/100, F1 their harmonic mean.
	if p, r := 80.0/120, 0.8; !near(s[0].Precision, p) || !near(s[0].Recall, r) || !near(s[0].F1, 2*p*r/(p+r)) || s[0].Support != 100 {
		t.Errorf("T-shirt scores %+v", s[0])
	}
	if s[2] != (ClassScore{Class: 2, Support: 5}) || s[3] != (ClassScore{Class: 3}) {
		t.Errorf("a class never right, a class absent: %+v %+v; want zeros", s[2], s[3])
	}
	want := []ConfusedPair{{6, 0, 40}, {0, 6, 20}, {2, 4, 5}}
	if got := c.MostConfused(3); !reflect.DeepEqual(got, want) {
		t.Errorf("MostConfused(3) = %v, want %v", got, want)
	}
	if got := c.MostConfused(10); len(got) != 3 {
		t.Errorf("MostConfused(10) = %v: only the 3 non-zero mistakes", got)
	}
}

func TestBitset(t *testing.T) {
	b := NewBitset(10_000)
	if len(b) != 1250 {
		t.Fatalf("%d bytes for 10,000 bits", len(b))
	}
	for _, i := range []int{0, 7, 8, 9999} {
		b.Set(i)
	}
	if b.Count() != 4 || !b.Has(7) || !b.Has(9999) || b.Has(1) || b.Has(10_000) || b.Has(-1) {
		t.Errorf("bits: count %d", b.Count())
	}
}
