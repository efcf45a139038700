package nn

import (
	"slices"
	"testing"
)

func TestReorderWeightsRoundTrip(t *testing.T) {
	const f, c = 3, 4
	w := make([]float32, f*c*9)
	for i := range w {
		w[i] = float32(i + 1)
	}
	wT := make([]float32, len(w))
	reorderWeights(w, f, c, wT)
	if wT[(1*9+4)*c+2] != w[(1*c+2)*9+4] {
		t.Fatal("reorderWeights misplaces [f=1][c=2][tap 4]")
	}
	back := make([]float32, len(w))
	addReorderedWeights(wT, f, c, back)
	if !slices.Equal(back, w) {
		t.Fatal("addReorderedWeights does not invert reorderWeights")
	}
}
