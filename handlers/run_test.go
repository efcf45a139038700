package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRunPageShowsCurvesConfigCheckpointsAndLog(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	id := a.startTraining(`{"epochs":2,"train_limit":256,"batch_size":32,"lr":0.003}`)
	a.waitRunEnded(id, time.Minute)

	r := a.get("/runs/" + itoa(id))
	if r.Status != http.StatusOK {
		t.Fatalf("GET /runs/%d: %d\n%s", id, r.Status, r.Body)
	}
	for _, want := range []string{
		`id="loss-chart"`, `data-one-run="true"`, `id="loss-chart-static"`, // per batch, JS on and off
		`id="epoch-chart"`, `yAxisIndex&#34;:1`, `id="epoch-chart-static"`, // per epoch, accuracy on a second axis
		`data-series="test accuracy"`, `id="epochs-table"`,
		"Learning rate", "0.003", "Batch size", // the config
		`id="checkpoints-table"`, "run-1-e01.ckpt", "run-1-e02.ckpt", `name="checkpoint_id"`,
		`id="run-log-list"`, `name="level"`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("GET /runs/%d lacks %q", id, want)
		}
	}
	if strings.Contains(r.Body, "sse-connect") {
		t.Errorf("the page of a finished run should not follow the stream")
	}
	if r := a.get("/runs/" + itoa(id) + "?level=error"); !strings.Contains(r.Body, "No log lines.") {
		t.Errorf("?level=error of a run without errors should list none")
	}
	if r := a.get("/runs/99"); r.Status != http.StatusNotFound {
		t.Errorf("GET /runs/99: %d; want 404", r.Status)
	}

	var run struct {
		Checkpoints []struct{ Path string } `json:"checkpoints"`
	}
	a.getJSON("/api/runs/"+itoa(id), &run)
	ckptID := regexp.MustCompile(`(?s)action="/runs/\d+/predictions">.*?name="checkpoint_id" value="(\d+)"`).FindAllStringSubmatch(r.Body, -1)
	if len(ckptID) != 2 {
		t.Fatalf("want a predict form per checkpoint, got %d", len(ckptID))
	}

	// Predictions from the first checkpoint, as a form without JavaScript.
	b := a.newBrowser()
	p := b.post("/runs/"+itoa(id)+"/predictions", url.Values{"checkpoint_id": {ckptID[0][1]}}, false)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="run-predictions"`) ||
		!strings.Contains(p.Body, `<span id="predicted-from" class="font-mono font-semibold text-slate-900">run-1-e01.ckpt</span>`) ||
		strings.Count(p.Body, `data-correct=`) != 16 {
		t.Errorf("POST /runs/%d/predictions: %d; want 16 predictions naming run-1-e01.ckpt\n%s", id, p.Status, p.Body)
	}
	if p := b.post("/runs/"+itoa(id)+"/predictions", url.Values{"checkpoint_id": {"999"}}, false); p.Status != http.StatusNotFound ||
		!strings.Contains(p.Body, "has no checkpoint 999") {
		t.Errorf("predictions from an unknown checkpoint: %d; want 404 saying so", p.Status)
	}

	// The API names the run and checkpoint it used, for chosen images.
	var preds struct {
		RunID        int64  `json:"run_id"`
		CheckpointID int64  `json:"checkpoint_id"`
		Checkpoint   string `json:"checkpoint"`
		Predictions  []struct {
			Index int `json:"index"`
		} `json:"predictions"`
	}
	body := `{"run_id":` + itoa(id) + `,"checkpoint_id":` + ckptID[0][1] + `,"indices":[3,1,4]}`
	if r := a.postJSON("/api/predictions", body, &preds); r.Status != http.StatusOK || preds.RunID != id ||
		itoa(preds.CheckpointID) != ckptID[0][1] || preds.Checkpoint != run.Checkpoints[0].Path ||
		len(preds.Predictions) != 3 || preds.Predictions[0].Index != 3 {
		t.Errorf("POST /api/predictions %s: %d %+v", body, r.Status, preds)
	}
	if r := a.postJSON("/api/predictions", `{"indices":[100000]}`, nil); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `"field":"indices"`) {
		t.Errorf("an index outside the test set: %d %s; want 422 on indices", r.Status, r.Body)
	}
	// The default stays today's: 16 random images of the newest checkpoint.
	preds.Predictions = nil
	if r := a.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || len(preds.Predictions) != 16 ||
		preds.Checkpoint != run.Checkpoints[1].Path {
		t.Errorf("POST /api/predictions {}: %d %+v", r.Status, preds)
	}
}

func TestRunPageIsLiveWhileTraining(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	id := a.startTraining(`{"epochs":1000,"train_limit":256}`)
	r := a.get("/runs/" + itoa(id))
	for _, want := range []string{`sse-connect="/events?after=`, `id="progress-panel"`, `id="status-line"`,
		`http-equiv="refresh"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the page of a training run lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `href="/runs/`+itoa(id)+`/delete"`) {
		t.Errorf("the page of a training run offers to delete it")
	}
	a.postJSON("/api/training/stop", "", nil)
	a.waitRunEnded(id, time.Minute)
}
