package examples

import (
	"context"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
)

type fakeCheckpoints []fmnist.Checkpoint

func (f fakeCheckpoints) Checkpoints(context.Context, int64) ([]fmnist.Checkpoint, error) {
	return f, nil
}

// classifyByPath gives image i of a 20-image set true class i%10 and, in
// checkpoint "b", predicts class 3 for every odd image with confidence
// growing with i; it counts its calls.
func classifyByPath(calls *int) Classify {
	return func(_ context.Context, path string, set *data.Set) ([]fmnist.Prediction, error) {
		*calls++
		out := make([]fmnist.Prediction, set.Count)
		for i := range out {
			p := fmnist.Prediction{Index: i, Label: i % 10, Predicted: i % 10}
			if path == "b" && i%2 == 1 {
				p.Predicted = 3
			}
			p.Probabilities[p.Predicted] = 0.5 + float64(i)/100
			out[i] = p
		}
		return out, nil
	}
}

func TestExamplesFilterOrderPageAndCache(t *testing.T) {
	ctx := context.Background()
	calls := 0
	set := &data.Set{Count: 20}
	cks := fakeCheckpoints{
		{ID: 1, Epoch: 1, Path: "a"},
		{ID: 2, Epoch: 2, Path: "b"},
		{ID: 3, Epoch: 2, Batch: 5, Path: "stopped"}, // mid-epoch: never used
	}
	f := New(cks, func() *data.Set { return set }, classifyByPath(&calls))

	page, err := f.Examples(ctx, 1, fmnist.ExampleQuery{True: -1, Pred: 3, ByConfidence: true, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 2 (the newest epoch's end): the 10 odd images (3 and 13 are
	// right), the most confident (the highest index) first.
	if page.Epoch != 2 || page.Checkpoint != 2 || page.Total != 10 || len(page.Items) != 3 || page.Items[0].Index != 19 || page.Items[2].Index != 15 {
		t.Errorf("pred 3 at the newest epoch: %+v", page)
	}
	page, _ = f.Examples(ctx, 1, fmnist.ExampleQuery{True: 1, Pred: 3, Limit: 48, Offset: 1})
	if page.Total != 2 || len(page.Items) != 1 || page.Items[0].Index != 11 {
		t.Errorf("true 1 taken for 3, second page by index: %+v", page)
	}
	if _, err := f.Examples(ctx, 1, fmnist.ExampleQuery{Epoch: 1, True: -1, Pred: -1, Limit: 48}); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("the test set was classified %d times for 2 checkpoints", calls)
	}
	// Asking for CacheSize+1 epochs lets the least recently used go.
	var many fakeCheckpoints
	for e := 1; e <= CacheSize+1; e++ {
		many = append(many, fmnist.Checkpoint{ID: int64(e), Epoch: e, Path: "a"})
	}
	calls = 0
	g := New(many, func() *data.Set { return set }, classifyByPath(&calls))
	for _, e := range []int{1, 2, 1, 3, 4, 5, 1, 2} {
		if _, err := g.Examples(ctx, 1, fmnist.ExampleQuery{Epoch: e, True: -1, Pred: -1, Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// 1, 2, (1 kept), 3, 4, 5 drops 2, (1 kept), 2 again.
	if calls != 6 {
		t.Errorf("%d classifications for the sequence, want 6", calls)
	}

	_, err = f.Examples(ctx, 1, fmnist.ExampleQuery{Epoch: 7, True: -1, Pred: -1, Limit: 48})
	if fmnist.ErrorCode(err) != fmnist.ENOTFOUND || !strings.Contains(fmnist.ErrorMessage(err), "epochs with one: 1, 2") {
		t.Errorf("an epoch without a checkpoint: %v", err)
	}
	none := New(fakeCheckpoints{}, func() *data.Set { return set }, classifyByPath(&calls))
	if _, err := none.Examples(ctx, 1, fmnist.ExampleQuery{Limit: 48}); fmnist.ErrorCode(err) != fmnist.ECONFLICT {
		t.Errorf("a run without a checkpoint: %v, want ECONFLICT", err)
	}
	noData := New(cks, func() *data.Set { return nil }, classifyByPath(&calls))
	if _, err := noData.Examples(ctx, 1, fmnist.ExampleQuery{Limit: 48}); fmnist.ErrorCode(err) != fmnist.ECONFLICT {
		t.Errorf("without the dataset: %v, want ECONFLICT", err)
	}
}
