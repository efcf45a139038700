package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// The API takes every recipe field; a preset fills the config first and
// the keys given beside it change it; a bad field is a 422 naming it.
func TestAPIStartsARecipe(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()

	for body, field := range map[string]string{
		`{"preset":"fastest"}`:          fmnist.FieldPreset,
		`{"crop":9}`:                    fmnist.FieldCrop,
		`{"schedule":"linear"}`:         fmnist.FieldSchedule,
		`{"optimizer":"lion"}`:          fmnist.FieldOptimizer,
		`{"label_smoothing":0.5}`:       fmnist.FieldLabelSmoothing,
		`{"val":100000}`:                fmnist.FieldVal,
		`{"preset":"bn","dropout":2}`:   fmnist.FieldDropout,
		`{"time_limit":"10m"}`:          fmnist.FieldTimeLimit,
		`{"preset":"best","conv1":0.5}`: fmnist.FieldConv1,
	} {
		var e errorJSON
		r := a.postJSON("/api/training", body, &e)
		if r.Status != http.StatusUnprocessableEntity || e.Error.Field != field {
			t.Errorf("POST %s: %d %+v; want 422 naming %s", body, r.Status, e.Error, field)
		}
	}

	var out struct {
		RunID  int64         `json:"run_id"`
		Config fmnist.Config `json:"config"`
	}
	body := `{"preset":"best","epochs":1,"batch_size":32,"conv1":8,"conv2":8,"dense":16,"val":64}`
	if r := a.postJSON("/api/training", body, &out); r.Status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", body, r.Status, r.Body)
	}
	want, _ := fmnist.Preset(fmnist.PresetBest)
	want.Epochs, want.BatchSize, want.Conv1, want.Conv2, want.Dense, want.Val = 1, 32, 8, 8, 16, 64
	if out.Config != want {
		t.Errorf("started with %+v; want the best preset with the keys given: %+v", out.Config, want)
	}
	st := a.waitRunEnded(out.RunID, 120*time.Second)
	if st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("run ended %q (%s)", st.Training.Status, st.Training.Reason)
	}
	run := a.run(out.RunID)
	if run.Config != want {
		t.Errorf("stored config %+v; want %+v", run.Config, want)
	}
	// The loss points carry the one-cycle schedule's learning rate.
	if len(run.Points) < 2 || run.Points[0].LR != want.LR || !(run.Points[len(run.Points)-1].LR < want.PeakLR) {
		t.Errorf("loss points %+v; want the schedule's learning rate on each, from %g", run.Points, want.LR)
	}
}
