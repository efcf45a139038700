package train

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

func TestRandomIndices(t *testing.T) {
	got := RandomIndices(10000, 16, 42)
	if len(got) != 16 {
		t.Fatalf("%d indices, want 16", len(got))
	}
	seen := map[int]bool{}
	for _, i := range got {
		if i < 0 || i >= 10000 || seen[i] {
			t.Fatalf("indices %v: out of range or repeated", got)
		}
		seen[i] = true
	}
	if again := RandomIndices(10000, 16, 42); !slices.Equal(got, again) {
		t.Errorf("same seed gave %v then %v", got, again)
	}
	if other := RandomIndices(10000, 16, 43); slices.Equal(got, other) {
		t.Errorf("seeds 42 and 43 gave the same indices %v", got)
	}
	all := RandomIndices(5, 9, 1)
	slices.Sort(all)
	if !slices.Equal(all, []int{0, 1, 2, 3, 4}) {
		t.Errorf("asking 9 of 5 gave %v, want each of 0..4 once", all)
	}
	if none := RandomIndices(5, 0, 1); len(none) != 0 {
		t.Errorf("asking 0 gave %v", none)
	}
}

func TestPredictIndices(t *testing.T) {
	ds := loadSynthetic(t, 100, 30)
	net := trainedNetwork(t, ds, 1)
	indices := []int{29, 0, 7, 7, 13}
	preds, err := PredictIndices(net, &ds.Test, indices)
	if err != nil {
		t.Fatalf("PredictIndices: %v", err)
	}
	if len(preds) != len(indices) {
		t.Fatalf("%d predictions for %d indices", len(preds), len(indices))
	}
	for i, p := range preds {
		if p.Index != indices[i] || p.Label != int(ds.Test.Labels[indices[i]]) {
			t.Errorf("prediction %d is for image %d label %d, want image %d label %d", i, p.Index, p.Label, indices[i], ds.Test.Labels[indices[i]])
		}
		sum := 0.0
		for c, v := range p.Probabilities {
			sum += v
			if v > p.Probabilities[p.Predicted] {
				t.Errorf("prediction %d: class %d (%.3f) beats the predicted %d", i, c, v, p.Predicted)
			}
		}
		if math.Abs(sum-1) > 1e-4 {
			t.Errorf("prediction %d: probabilities sum to %v", i, sum)
		}
	}
	if preds[2] != preds[3] {
		t.Errorf("the same image predicted twice gave %+v and %+v", preds[2], preds[3])
	}
	if _, err := PredictIndices(net, &ds.Test, []int{3, 30}); err == nil || !strings.Contains(err.Error(), "index 30") {
		t.Errorf("out-of-range index: error %v, want one naming index 30", err)
	}
}

// TestEvaluateMatchesOneByOne checks Evaluate against single-image
// predictions on a set larger than one prediction chunk, so chunk
// boundaries and the short last chunk are covered.
func TestEvaluateMatchesOneByOne(t *testing.T) {
	n := predictChunk + 137
	ds := loadSynthetic(t, 100, n)
	// Barely trained, so the per-class figures are neither all 0 nor all 1.
	net := partlyTrainedNetwork(t, ds, 1, 3)
	acc, err := Evaluate(net, &ds.Test)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	var correct int
	var perClassCorrect, perClassTotal [10]int
	var loss float64
	x := make([]float32, data.ImageSize)
	probs := make([]float32, 10)
	for i := range n {
		ds.Test.Normalize(x, []int{i})
		if err := net.Predict(x, 1, probs); err != nil {
			t.Fatal(err)
		}
		label := int(ds.Test.Labels[i])
		perClassTotal[label]++
		if nn.IndexOfMax(probs) == label {
			correct++
			perClassCorrect[label]++
		}
		loss -= math.Log(max(float64(probs[label]), 1e-12))
	}
	// A batch and a single image may sum in a different order, so a near
	// tie could flip; allow one image either way, far less than any
	// chunking mistake would move the figures.
	if acc.Count != n || math.Abs(acc.Overall*float64(n)-float64(correct)) > 1.5 {
		t.Errorf("Evaluate: %d images, accuracy %v; one by one: %d, %v", acc.Count, acc.Overall, n, float64(correct)/float64(n))
	}
	if math.Abs(acc.Loss-loss/float64(n)) > 1e-4 {
		t.Errorf("Evaluate loss %v, one by one %v", acc.Loss, loss/float64(n))
	}
	for c := range 10 {
		if got := acc.PerClass[c] * float64(perClassTotal[c]); math.Abs(got-float64(perClassCorrect[c])) > 1.5 {
			t.Errorf("class %d: %v of %d correct, one by one %d", c, got, perClassTotal[c], perClassCorrect[c])
		}
	}
	t.Logf("accuracy %.3f, per class %.2f", acc.Overall, acc.PerClass)
}

func TestEvaluateEmptySet(t *testing.T) {
	ds := loadSynthetic(t, 20, 10)
	net := trainedNetwork(t, ds, 1)
	if _, err := Evaluate(net, &data.Set{Rows: 28, Cols: 28}); err == nil {
		t.Error("Evaluate of an empty set succeeded")
	}
}
