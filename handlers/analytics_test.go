package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/handlers/internal/ssetest"
)

type confusionJSON struct {
	Run      int64       `json:"run"`
	Epoch    int         `json:"epoch"`
	Classes  []string    `json:"classes"`
	Matrix   [10][10]int `json:"matrix"`
	Total    int         `json:"total"`
	Accuracy float64     `json:"accuracy"`
	PerClass []struct {
		Precision float64 `json:"precision"`
		Recall    float64 `json:"recall"`
		F1        float64 `json:"f1"`
	} `json:"per_class"`
	MostConfused []struct {
		True, Pred, Count int
	} `json:"most_confused"`
}

// Each epoch's confusion matrix is served per run and epoch: it sums to the
// test set's size and its diagonal gives the epoch's test accuracy exactly.
// The run page shows it as a table, at the epoch picked.
func TestConfusionMatrixPerEpoch(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	run := a.startTraining(`{"epochs":2,"batch_size":32}`)
	a.waitRunEnded(run, 60*time.Second)
	r := a.run(run)
	if len(r.Epochs) != 2 {
		t.Fatalf("run %d has %d epochs, want 2", run, len(r.Epochs))
	}
	for _, e := range r.Epochs {
		var c confusionJSON
		path := "/api/runs/" + itoa(run) + "/epochs/" + itoa(int64(e.Epoch)) + "/confusion"
		if code := a.getJSON(path, &c); code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		sum, diagonal := 0, 0
		for i, row := range c.Matrix {
			for j, n := range row {
				sum += n
				if i == j {
					diagonal += n
				}
			}
		}
		if sum != testImages || c.Total != testImages {
			t.Errorf("epoch %d: the matrix sums to %d (total %d), want the %d test images", e.Epoch, sum, c.Total, testImages)
		}
		if got := float64(diagonal) / float64(sum); got != e.TestAccuracy || c.Accuracy != e.TestAccuracy {
			t.Errorf("epoch %d: diagonal/total = %v (accuracy %v), want the epoch's test accuracy %v exactly", e.Epoch, got, c.Accuracy, e.TestAccuracy)
		}
		if c.Run != run || c.Epoch != e.Epoch || len(c.Classes) != 10 || c.Classes[0] != "T-shirt/top" || len(c.PerClass) != 10 {
			t.Errorf("epoch %d: %+v", e.Epoch, c)
		}
	}

	var e errorJSON
	if code := a.getJSON("/api/runs/"+itoa(run)+"/epochs/3/confusion", &e); code != http.StatusNotFound ||
		!strings.Contains(e.Error.Message, "epochs 1 to 2") {
		t.Errorf("epoch 3 of a 2-epoch run: %d %+v; want 404 naming the epochs that have one", code, e)
	}
	if code := a.getJSON("/api/runs/99/epochs/1/confusion", &e); code != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("an unknown run: %d %+v; want 404", code, e)
	}

	page := a.get("/runs/" + itoa(run) + "?epoch=1")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `id="confusion-table"`) ||
		!strings.Contains(page.Body, `<span id="confusion-epoch">1</span>`) || !strings.Contains(page.Body, `<option value="1" selected>`) {
		t.Errorf("the run page at ?epoch=1 does not show epoch 1's matrix:\n%s", page.Body)
	}
	if dash := a.get("/"); !strings.Contains(dash.Body, `<span id="confusion-epoch">2</span>`) {
		t.Errorf("the dashboard does not show the newest epoch's matrix")
	}

	// The picker's fragment for htmx; a plain visit goes to the run page.
	req, _ := http.NewRequest(http.MethodGet, a.URL("/runs/"+itoa(run)+"/confusion?epoch=1"), nil)
	req.Header.Set("HX-Request", "true")
	if f := a.do(req); f.Status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(f.Body), `<section id="confusion-panel"`) {
		t.Errorf("htmx fragment: %d %.200s", f.Status, f.Body)
	}
	noRedirect := *a.client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ = http.NewRequest(http.MethodGet, a.URL("/runs/"+itoa(run)+"/confusion?epoch=1"), nil)
	if f := doWith(t, &noRedirect, req); f.Status != http.StatusSeeOther || f.Header.Get("Location") != "/runs/"+itoa(run)+"?epoch=1#confusion-panel" {
		t.Errorf("a plain GET of the fragment: %d to %q", f.Status, f.Header.Get("Location"))
	}
}

// A run at learning rate 10 warns (divergence) or fails (NaN) in its first
// epoch: GET /api/runs/{id}/warnings lists it with what to try, the run
// page shows the banner, and the stream carried it.
func TestWarningsOfADivergingRun(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	events := ssetest.Connect(t, a.client, a.URL("/events?format=json&after="+itoa(int64(a.status().LastEventID))), "")
	run := a.startTraining(`{"epochs":1,"batch_size":4,"lr":10}`)
	st := a.waitRunEnded(run, 60*time.Second)
	var got struct {
		Run      int64 `json:"run"`
		Warnings []struct {
			Kind, Message, Meaning, Advice string
			Epoch                          int
		} `json:"warnings"`
	}
	if code := a.getJSON("/api/runs/"+itoa(run)+"/warnings", &got); code != http.StatusOK || len(got.Warnings) == 0 {
		t.Fatalf("GET warnings: %d %+v (run %s %q); want a warning", code, got, st.Training.Status, st.Training.Reason)
	}
	// Dead units or a gradient spike may come first: a too large step
	// does that to the network before the loss gives way.
	i := slices.IndexFunc(got.Warnings, func(w struct {
		Kind, Message, Meaning, Advice string
		Epoch                          int
	}) bool {
		return w.Kind == "nan" || w.Kind == "divergence"
	})
	if i < 0 {
		t.Fatalf("no NaN or divergence warning among %+v", got.Warnings)
	}
	w := got.Warnings[i]
	t.Logf("first NaN or divergence warning: %+v; the run is %s", w, st.Training.Status)
	if w.Epoch != 1 || !strings.Contains(w.Advice, "learning rate") {
		t.Errorf("first warning %+v; want NaN or divergence in epoch 1, advising a lower learning rate", w)
	}
	if w.Kind == "nan" && (st.Training.Status != "failed" || !strings.Contains(st.Training.Reason, "last good checkpoint")) {
		t.Errorf("a NaN loss: the run is %s (%q); want failed, naming the last good checkpoint", st.Training.Status, st.Training.Reason)
	}
	page := a.get("/runs/" + itoa(run))
	if !strings.Contains(page.Body, `id="warnings-banner"`) || strings.Contains(page.Body, `id="warnings-banner" class="panel border-l-4 border-amber-500 bg-amber-50" role="region" aria-labelledby="warnings-title" hidden`) ||
		!strings.Contains(page.Body, w.Message) || !strings.Contains(page.Body, `&#34;kind&#34;:&#34;warning&#34;`) {
		t.Errorf("the run page does not show the warning banner and its marker")
	}
	events.WaitFor(t, "the warning event", 5*time.Second, ssetest.HasEvent("warning"))
	if e := ssetest.Named(events.Events(), "warning"); !strings.Contains(e[0].Data, `"kind":"`+got.Warnings[0].Kind+`"`) {
		t.Errorf("the stream's warning %s; want the first stored one", e[0].Data)
	}
}
