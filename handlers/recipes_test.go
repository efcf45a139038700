package handlers_test

import (
	"bytes"
	"html"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLiveLRChange: POST /api/training/lr refuses without a run (409) and a
// bad rate (422 naming lr); during a run it changes the rate from the next
// batch, which the log says, the loss points carry, and the run's chart
// marks (stored, so it outlives the run).
func TestLiveLRChange(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	if r := a.postJSON("/api/training/lr", `{"lr":0.0002}`, nil); r.Status != http.StatusConflict {
		t.Errorf("with no run: status %d, want 409: %s", r.Status, r.Body)
	}
	for _, body := range []string{`{"lr":0}`, `{"lr":"fast"}`, `{}`, `{"lr":2}`} {
		if r := a.postJSON("/api/training/lr", body, nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"field":"lr"`) {
			t.Errorf("%s: status %d, want 422 naming lr: %s", body, r.Status, r.Body)
		}
	}

	id := a.startTraining(`{"epochs":200,"train_limit":256,"batch_size":32,"schedule":"step","step_factor":0.5,"step_every":1}`)
	a.waitStatus("the run to train", 30*time.Second, func(s statusJSON) bool { return s.Training.Status == "training" })
	if r := a.postJSON("/api/training/lr", `{"lr":0.0002}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("during the run: status %d, want 202: %s", r.Status, r.Body)
	}
	var logged bool
	for deadline := time.Now().Add(30 * time.Second); !logged && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		logged = strings.Contains(a.get("/runs/"+itoa(id)).Body, "Learning rate changed to 0.0002")
	}
	if !logged {
		t.Error("the change is not in the run's log")
	}
	if r := a.postJSON("/api/training/stop", `{}`, nil); r.Status >= 300 {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	a.waitRunEnded(id, time.Minute)

	page := html.UnescapeString(a.get("/runs/" + itoa(id)).Body)
	if !strings.Contains(page, `"label":"LR → 0.0002","kind":"lr"`) {
		t.Error("the run's loss chart has no marker of the change")
	}
	if !strings.Contains(page, `class="lr-marker"`) || !strings.Contains(page, `class="lr"`) {
		t.Error("the no-JS chart lacks the change's marker or the learning-rate series")
	}
	// The step schedule halves the rate each epoch; from the change on it
	// continues from 0.0002: the first point after the marker trains at
	// 0.0002 (or 0.0001 if an epoch ended between), and none above it.
	var run struct {
		Points []struct {
			Epoch float64 `json:"epoch"`
			LR    float64 `json:"lr"`
		} `json:"points"`
	}
	a.getJSON("/api/runs/"+itoa(id), &run)
	var changedAt float64 = -1
	for i, p := range run.Points {
		if (i == 0 || p.LR < run.Points[i-1].LR) && p.LR >= 0.0001-1e-12 && p.LR <= 0.0002+1e-12 && changedAt < 0 {
			changedAt = p.Epoch
		}
		if changedAt >= 0 && p.LR > 0.0002+1e-12 {
			t.Errorf("point at epoch %.3f trains at %g, above the rate asked for", p.Epoch, p.LR)
		}
	}
	if changedAt < 0 {
		t.Errorf("no loss point carries the new rate: %+v", run.Points)
	}
}

// TestRecipePreviews: the schedule preview follows the form's fields, bad
// values say which field; the augmentation preview is a 4×4 PNG grid that
// changes with its settings and refuses bad ones with 422.
func TestRecipePreviews(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	constant := a.get("/training/preview?epochs=4&lr=0.001&schedule=constant")
	step := a.get("/training/preview?epochs=4&lr=0.001&schedule=step&step_factor=0.5&step_every=1")
	if constant.Status != http.StatusOK || !strings.Contains(constant.Body, `data-schedule="constant"`) ||
		!strings.Contains(step.Body, `data-schedule="step"`) {
		t.Fatalf("previews: %d %s / %s", constant.Status, constant.Body, step.Body)
	}
	points := func(body string) string {
		_, after, _ := strings.Cut(body, `id="schedule-curve" points="`)
		p, _, _ := strings.Cut(after, `"`)
		return p
	}
	if points(constant.Body) == "" || points(constant.Body) == points(step.Body) {
		t.Error("the step schedule draws the same curve as the constant one")
	}
	if !strings.Contains(step.Body, `id="augment-preview"`) || !strings.Contains(step.Body, `hx-swap-oob`) {
		t.Error("the preview answer lacks the augmentation preview out of band")
	}
	if bad := a.get("/training/preview?schedule=step&step_factor=3"); !strings.Contains(bad.Body, "step_factor") {
		t.Errorf("a bad step factor: %s", bad.Body)
	}

	plain, augmented := a.get("/training/augment.png"), a.get("/training/augment.png?crop=4&flip=on&erase=1")
	for _, r := range []response{plain, augmented} {
		img, err := png.Decode(strings.NewReader(r.Body))
		if r.Status != http.StatusOK || err != nil || img.Bounds().Dx() != 230 || img.Bounds().Dy() != 230 {
			t.Fatalf("augment.png: status %d, %v, want a 230×230 PNG", r.Status, err)
		}
	}
	if bytes.Equal([]byte(plain.Body), []byte(augmented.Body)) {
		t.Error("the augmented grid is the plain one")
	}
	if r := a.get("/training/augment.png?crop=9"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "crop") {
		t.Errorf("crop=9: status %d, want 422 naming crop", r.Status)
	}
}
