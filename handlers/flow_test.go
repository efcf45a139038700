package handlers_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/train"
)

// TestAPIFlow drives the whole product through the JSON API, as a script
// would: prepare the dataset, train, read the run, ask for predictions.
func TestAPIFlow(t *testing.T) {
	a := startApp(t, appConfig{})

	var st statusJSON
	st = a.status()
	if st.Dataset.Status != string(fmnist.StatusIdle) || st.Training.Status != string(fmnist.StatusIdle) || st.HasModel {
		t.Fatalf("a new app should be idle without a model; status: %+v", st)
	}
	a.prepareDataset()
	st = a.status()
	if st.Dataset.Train != trainImages || st.Dataset.Test != testImages {
		t.Fatalf("dataset has %d/%d images, want %d/%d", st.Dataset.Train, st.Dataset.Test, trainImages, testImages)
	}

	id := a.startTraining(`{"epochs":2,"batch_size":32,"lr":0.003}`)
	st = a.waitRunEnded(id, 60*time.Second)
	if st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("run %d ended as %q (%s), want finished", id, st.Training.Status, st.Training.Reason)
	}
	if !st.HasModel || st.Training.Checkpoint == "" {
		t.Fatalf("a finished run should leave a model and its checkpoint; status: %+v", st)
	}

	run := a.run(id)
	if run.Status != string(fmnist.StatusFinished) || run.EndedAt == nil {
		t.Errorf("run %d: status %q, ended %v; want finished with an end time", id, run.Status, run.EndedAt)
	}
	want := fmnist.DefaultConfig()
	want.Epochs, want.BatchSize, want.LR = 2, 32, 0.003
	if run.Config != want {
		t.Errorf("run config = %+v, want %+v (omitted keys take the defaults)", run.Config, want)
	}
	batches := trainImages / 32
	wantPoints := train.LossPointCount(2, batches)
	if len(run.Points) != wantPoints {
		t.Errorf("run has %d loss points, want %d", len(run.Points), wantPoints)
	}
	fractional := 0
	for i, p := range run.Points {
		if p.Epoch <= 0 || p.Epoch > 2 || math.IsNaN(p.Loss) || p.Loss <= 0 {
			t.Errorf("point %d = %+v: want epoch in (0, 2] and a positive loss", i, p)
		}
		if i > 0 && p.Epoch <= run.Points[i-1].Epoch {
			t.Errorf("points %d and %d are not in epoch order: %v then %v", i-1, i, run.Points[i-1].Epoch, p.Epoch)
		}
		if p.Epoch != math.Trunc(p.Epoch) {
			fractional++
		}
	}
	if fractional == 0 {
		t.Errorf("no loss point has a fractional epoch: %+v", run.Points)
	}
	if len(run.Epochs) != 2 {
		t.Fatalf("run has %d epoch results, want 2", len(run.Epochs))
	}
	last := run.Epochs[1]
	if last.Epoch != 2 || last.TestAccuracy <= 0.5 || last.TestAccuracy > 1 {
		t.Errorf("last epoch result %+v: want epoch 2 with an accuracy above chance on the easy synthetic set", last)
	}
	if run.TestAccuracy == nil || *run.TestAccuracy != last.TestAccuracy {
		t.Errorf("run test accuracy %v, want the last epoch's %v", run.TestAccuracy, last.TestAccuracy)
	}
	if len(run.Checkpoints) == 0 || run.Checkpoints[len(run.Checkpoints)-1].Path != st.Training.Checkpoint {
		t.Errorf("run checkpoints %+v should end with the status's %q", run.Checkpoints, st.Training.Checkpoint)
	}

	var runs struct {
		Runs []runJSON `json:"runs"`
	}
	if code := a.getJSON("/api/runs", &runs); code != http.StatusOK || len(runs.Runs) != 1 || runs.Runs[0].ID != id {
		t.Errorf("GET /api/runs: status %d, runs %+v; want the one run %d", code, runs.Runs, id)
	}

	var preds predictionsJSON
	if r := a.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK {
		t.Fatalf("POST /api/predictions: status %d: %s", r.Status, r.Body)
	}
	if len(preds.Predictions) != 16 {
		t.Fatalf("got %d predictions, want 16", len(preds.Predictions))
	}
	if preds.Checkpoint != st.Training.Checkpoint || preds.Accuracy != last.TestAccuracy {
		t.Errorf("predictions from %q with accuracy %v; want the run's checkpoint %q and accuracy %v",
			preds.Checkpoint, preds.Accuracy, st.Training.Checkpoint, last.TestAccuracy)
	}
	seen := map[int]bool{}
	for _, p := range preds.Predictions {
		if p.Index < 0 || p.Index >= testImages || seen[p.Index] {
			t.Errorf("prediction index %d is out of range or repeated", p.Index)
		}
		seen[p.Index] = true
		sum, best := 0.0, 0
		for c, pr := range p.Probabilities {
			if pr < 0 || pr > 1 {
				t.Errorf("image %d: probability %v of class %d is outside [0, 1]", p.Index, pr, c)
			}
			sum += pr
			if pr > p.Probabilities[best] {
				best = c
			}
		}
		if math.Abs(sum-1) > 1e-3 {
			t.Errorf("image %d: probabilities sum to %v, want 1", p.Index, sum)
		}
		if p.Predicted != best || p.PredictedName != fmnist.ClassNames[best] || p.LabelName != fmnist.ClassNames[p.Label] ||
			p.Correct != (p.Predicted == p.Label) || p.Image != "/predictions/image/"+itoa(int64(p.Index))+".png" {
			t.Errorf("prediction %+v is inconsistent", p)
		}
	}
}
