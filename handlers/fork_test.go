package handlers_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// TestForkFromTheRunPage forks a finished run with the run page's Fork
// form, as a plain form and with htmx: refusals come back on the run page
// (or its checkpoints panel) with the form as typed; a fork answers 303 (or
// HX-Redirect) to the new run, whose page names its parent, and the
// comparison starts its curve at the fork point.
func TestForkFromTheRunPage(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()
	parent := a.startTraining(`{"epochs":2,"batch_size":32,"lr":0.001}`)
	a.waitRunEnded(parent, 60*time.Second)
	p := a.resumableRun(parent)
	if len(p.Checkpoints) != 2 {
		t.Fatalf("parent run: checkpoints %+v; want 2", p.Checkpoints)
	}
	epoch1, epoch2 := itoa(p.Checkpoints[0].ID), itoa(p.Checkpoints[1].ID)
	forkURL := "/runs/" + itoa(parent) + "/fork"

	b := a.newBrowser()
	page := b.get("/runs/" + itoa(parent))
	if n := strings.Count(page.Body, `action="`+forkURL+`"`); page.Status != http.StatusOK || n != 2 {
		t.Fatalf("GET /runs/%d: %d with %d fork forms; want 2", parent, page.Status, n)
	}
	if strings.Contains(page.Body, `id="fork-of"`) {
		t.Error("a run started afresh says it was forked")
	}

	form := func(ckpt, lr, epochs string) url.Values {
		return url.Values{"checkpoint_id": {ckpt}, "lr": {lr}, "epochs": {epochs}}
	}
	refusals := []struct {
		what    string
		form    url.Values
		status  int
		message string
	}{
		{"no checkpoint", form("", "", ""), http.StatusUnprocessableEntity, "Checkpoint is not one of the run"},
		{"a learning rate that is no number", form(epoch1, "fast", ""), http.StatusUnprocessableEntity, "Learning rate must be a number"},
		{"a learning rate out of range", form(epoch1, "20", ""), http.StatusUnprocessableEntity, "Learning rate must be greater than 0"},
		{"epochs that are no number", form(epoch1, "", "1.5"), http.StatusUnprocessableEntity, "Epochs must be a whole number"},
		{"the last checkpoint without more epochs", form(epoch2, "", ""), http.StatusUnprocessableEntity, "epochs"},
		{"a checkpoint of another run", form("999", "", ""), http.StatusNotFound, "has no checkpoint 999"},
	}
	for _, r := range refusals {
		got := b.post(forkURL, r.form, false)
		if got.Status != r.status || !strings.Contains(got.Body, `id="fork-error"`) || !strings.Contains(got.Body, r.message) ||
			!strings.Contains(got.Body, "<html") {
			t.Errorf("fork with %s: %d; want %d and the run page saying %q", r.what, got.Status, r.status, r.message)
		}
	}
	// The refused form comes back as typed, its bad field marked.
	typed := b.post(forkURL, form(epoch1, "fast", "3"), false)
	lrInput := regexp.MustCompile(`<input id="fork-lr-` + epoch1 + `"[^>]*>`).FindString(typed.Body)
	if !strings.Contains(lrInput, `value="fast"`) || !strings.Contains(lrInput, "input-invalid") ||
		!strings.Contains(typed.Body, `id="fork-epochs-`+epoch1+`"`) || !strings.Contains(typed.Body, `value="3"`) {
		t.Errorf("the refused form is not shown as typed with lr marked: %s", lrInput)
	}
	// A recipe field's message is beside it, and the recipe comes back open.
	badRecipe := form(epoch1, "", "")
	badRecipe.Set(fmnist.FieldSchedule, fmnist.ScheduleStep)
	badRecipe.Set(fmnist.FieldStepEvery, "often")
	refused := b.post(forkURL, badRecipe, false)
	if beside := regexp.MustCompile(`<span id="fork-error-step_every-` + epoch1 + `"[^>]*>([^<]*)<`).FindStringSubmatch(refused.Body); refused.Status != http.StatusUnprocessableEntity ||
		beside == nil || beside[1] != "Must be a whole number." ||
		!regexp.MustCompile(`<option value="step" selected>`).MatchString(refused.Body) {
		t.Errorf("fork with a bad step_every: %d, message beside it %q; want 422 with it and the typed schedule", refused.Status, beside)
	}
	// With htmx the answer is the checkpoints panel only.
	if got := b.post(forkURL, form(epoch1, "fast", ""), true); got.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(got.Body, `<section id="checkpoints-panel"`) || !strings.Contains(got.Body, "Learning rate must be a number") {
		t.Errorf("htmx fork with a bad learning rate: %d %.200s; want 422 with the checkpoints panel", got.Status, got.Body)
	}
	if got := b.post("/runs/999/fork", form(epoch1, "", ""), false); got.Status != http.StatusNotFound {
		t.Errorf("fork of an unknown run: %d; want 404", got.Status)
	}
	if got := b.postRaw(forkURL, form(epoch1, "", "").Encode(), false); got.Status != http.StatusForbidden {
		t.Errorf("fork without the CSRF token: %d; want 403", got.Status)
	}
	if n := len(a.resumableRun(parent).Checkpoints); a.status().Training.RunID != parent || n != 2 {
		t.Fatalf("a refused fork started a run (latest run %d) or touched the parent (%d checkpoints)", a.status().Training.RunID, n)
	}

	// A plain form: 303 to the new run's page.
	changed := form(epoch1, "0.0005", "")
	changed.Set(fmnist.FieldSchedule, fmnist.ScheduleCosine)
	changed[fmnist.FieldFlip] = []string{"off", "on"} // the hidden input, then the ticked box
	changed.Set(fmnist.FieldTTA, "off")
	got := b.post(forkURL, changed, false)
	child := parent + 1
	if got.Status != http.StatusSeeOther || got.Header.Get("Location") != "/runs/"+itoa(child) {
		t.Fatalf("fork: %d to %q; want 303 to /runs/%d\n%.500s", got.Status, got.Header.Get("Location"), child, got.Body)
	}
	if st := a.waitRunEnded(child, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("the fork ended as %s (%s)", st.Training.Status, st.Training.Reason)
	}
	if c := a.resumableRun(child); c.Config.LR != 0.0005 || c.Config.Epochs != 2 || c.Parent == nil || c.Parent.Epoch != 1 ||
		c.Config.Schedule != fmnist.ScheduleCosine || !c.Config.Flip || c.Config.TTA || c.Config.Crop != p.Config.Crop {
		t.Errorf("the fork: config %+v, parent %+v; want lr 0.0005, 2 epochs, a cosine schedule, flip, from epoch 1", c.Config, c.Parent)
	}
	childPage := b.get("/runs/" + itoa(child)).Body
	for _, want := range []string{
		`Forked from <a class="text-blue-700 underline" href="/runs/` + itoa(parent) + `">run ` + itoa(parent) + `</a> at epoch 1 (batch 0)`,
		`id="compare-with-parent" class="text-blue-700 underline" href="/runs/compare?ids=` + itoa(parent) + `,` + itoa(child) + `"`,
	} {
		if !strings.Contains(childPage, want) {
			t.Errorf("the fork's page lacks %s", want)
		}
	}

	// With htmx: HX-Redirect to the new run; meanwhile another fork is busy.
	got = b.post(forkURL, form(epoch2, "", "200"), true)
	if got.Status != http.StatusNoContent || got.Header.Get("HX-Redirect") != "/runs/"+itoa(child+1) {
		t.Fatalf("htmx fork: %d, HX-Redirect %q; want 204 to /runs/%d\n%.500s", got.Status, got.Header.Get("HX-Redirect"), child+1, got.Body)
	}
	if busy := b.post(forkURL, form(epoch1, "", ""), true); busy.Status != http.StatusConflict ||
		!strings.Contains(busy.Body, `id="fork-error"`) {
		t.Errorf("fork while another trains: %d %.300s; want 409 with the panel saying why", busy.Status, busy.Body)
	}
	if r := a.postJSON("/api/training/stop", "", nil); r.Status != http.StatusAccepted {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	a.waitRunEnded(child+1, 60*time.Second)

	checkForkOverlay(t, a, parent, child)

	del, err := http.NewRequest(http.MethodDelete, a.URL("/api/runs/"+itoa(parent)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.do(del); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE the parent: %d %s", r.Status, r.Body)
	}
	if page := b.get("/runs/" + itoa(child)).Body; !strings.Contains(page, "Forked from a run since deleted at epoch 1 (batch 0)") ||
		strings.Contains(page, "compare-with-parent") {
		t.Error("the page of a fork whose parent is deleted does not say so, or links to compare with it")
	}
}

// checkForkOverlay checks the comparison of a parent and its fork from
// epoch 1: the fork's curve starts at x = 1 on the parent's curve, with a
// "fork of run N" mark there, in the ECharts options and in the SVG.
func checkForkOverlay(t *testing.T, a *testApp, parent, child int64) {
	t.Helper()
	r := a.get("/runs/compare?ids=" + itoa(parent) + "," + itoa(child))
	m := regexp.MustCompile(`id="compare-chart" class="[^"]*" data-echarts="([^"]*)"`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("GET /runs/compare: %d without the chart's options", r.Status)
	}
	var options struct {
		Series []struct {
			Name string `json:"name"`
			Data []struct {
				Value [2]float64 `json:"value"`
			} `json:"data"`
			MarkLine *struct {
				Data []struct {
					Name  string  `json:"name"`
					XAxis float64 `json:"xAxis"`
				} `json:"data"`
			} `json:"markLine"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &options); err != nil || len(options.Series) != 2 {
		t.Fatalf("the comparison's options: %v, %d series", err, len(options.Series))
	}
	ps, fs := options.Series[0], options.Series[1]
	if len(ps.Data) == 0 || len(fs.Data) == 0 || ps.MarkLine != nil {
		t.Fatalf("series %+v", options.Series)
	}
	var parentAt1 float64
	for _, d := range ps.Data {
		if d.Value[0] <= 1 {
			parentAt1 = d.Value[1]
		}
	}
	if first := fs.Data[0].Value; first[0] != 1 || first[1] != parentAt1 {
		t.Errorf("the fork's curve starts at %v; want [1 %v], on the parent's curve at epoch 1", first, parentAt1)
	}
	if fs.MarkLine == nil || len(fs.MarkLine.Data) != 1 || fs.MarkLine.Data[0].XAxis != 1 ||
		fs.MarkLine.Data[0].Name != "fork of run "+itoa(parent) {
		t.Errorf("the fork's mark: %+v; want 'fork of run %d' at x 1", fs.MarkLine, parent)
	}
	// The epoch results: the fork has none for epoch 1, its result of
	// epoch 2 sits in epoch 2's row.
	table := r.Body[strings.Index(r.Body, `id="compare-epochs-table"`):]
	table = table[strings.Index(table, "<tbody>"):strings.Index(table, "</tbody>")]
	var cells [][]string
	for _, row := range strings.Split(table, "<tr")[1:] {
		var cs []string
		for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(row, -1) {
			cs = append(cs, strings.TrimSpace(c[1]))
		}
		cells = append(cells, cs)
	}
	if len(cells) != 2 || len(cells[0]) != 3 || cells[0][2] != "—" || len(cells[1]) != 3 || !strings.Contains(cells[1][2], "%") {
		t.Errorf("the epoch results %q; want the fork's in epoch 2's row only", cells)
	}
	mark := `<line class="series-mark" x1="`
	if i := strings.Index(r.Body, mark); i < 0 || !strings.Contains(r.Body[i:], `data-series="run `+itoa(child)+`" data-x="1"`) ||
		!strings.Contains(r.Body, ">fork of run "+itoa(parent)+"</text>") {
		t.Error("the static comparison draws no 'fork of' mark at epoch 1")
	}
}
