package handlers_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/train"
)

// The curve starts after the first batch, at the untrained loss, and the
// chart's subtitle says how many batches a point averages.
func TestLossCurveStartsAtTheFirstBatchAndSaysWhatAPointIs(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()
	id := a.startTraining(`{"epochs":1,"batch_size":8,"lr":0.003}`)
	if st := a.waitRunEnded(id, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("run %d ended as %q (%s), want finished", id, st.Training.Status, st.Training.Reason)
	}
	const batches = trainImages / 8 // 64: batch 1 is not one of the epoch's 20 marks
	run := a.run(id)
	if want := train.LossPointCount(1, batches); len(run.Points) != want {
		t.Fatalf("%d loss points, want %d", len(run.Points), want)
	}
	if first := run.Points[0]; math.Abs(first.Epoch-1.0/batches) > 1e-9 || first.Loss < 1.5 {
		t.Errorf("first point %+v, want epoch 1/%d and an untrained loss (about ln 10 = 2.3)", first, batches)
	}
	want := "mean loss over the last 4 batches · x in epochs" // ⌈64/20⌉
	for _, path := range []string{"/", "/runs/" + itoa(id)} {
		if r := a.get(path); !strings.Contains(r.Body, want) {
			t.Errorf("GET %s: the chart's subtitle is not %q", path, want)
		}
	}
}
