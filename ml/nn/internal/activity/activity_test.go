package activity

import (
	"math"
	"testing"
)

func TestDeadShareCountsUnitsSilentForTheWholeBatch(t *testing.T) {
	const images, units, plane = 3, 4, 2
	data := make([]float32, images*units*plane)
	set := func(n, u, p int, v float32) { data[(n*units+u)*plane+p] = v }
	set(0, 0, 1, 0.5) // unit 0 fires in image 0
	set(2, 1, 0, 1)   // unit 1 fires only in the last image
	// units 2 and 3 never fire
	if got := DeadShare(data, images, units, plane); got != 0.5 {
		t.Errorf("DeadShare = %v, want 0.5 (2 of 4 units silent)", got)
	}
	if got := DeadShare(data[:5], images, units, plane); got != 0 {
		t.Errorf("DeadShare of a short buffer = %v, want 0", got)
	}
}

func TestNormIsTheL2NormOfAllVectors(t *testing.T) {
	a := make([]float32, 2501) // several blocks and a tail
	for i := range a {
		a[i] = 1
	}
	b := []float32{3, 4}
	want := math.Sqrt(2501 + 25)
	if got := Norm(a, b); math.Abs(got-want) > 1e-9 {
		t.Errorf("Norm = %v, want %v", got, want)
	}
}

func BenchmarkSumSquares(b *testing.B) {
	v := make([]float32, 420_000) // about the baseline network's parameters
	for i := range v {
		v[i] = float32(i%7) * 0.01
	}
	for b.Loop() {
		SumSquares(v)
	}
}

// BenchmarkDeadShare scans the baseline's conv1 output for a batch of 64
// (32 channels of 14×14): the largest of the three ReLU layers.
func BenchmarkDeadShare(b *testing.B) {
	const images, units, plane = 64, 32, 14 * 14
	data := make([]float32, images*units*plane)
	for i := range data {
		if i%3 == 0 {
			data[i] = 1 // a ReLU zeroes about half; most units fire early
		}
	}
	for b.Loop() {
		DeadShare(data, images, units, plane)
	}
}
