package handlers_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkpointFolder lists the checkpoints folder.
func checkpointFolder(t *testing.T, a *testApp) []string {
	t.Helper()
	entries, err := os.ReadDir(a.Layout.Checkpoints())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRunsPageListsSortsAndFilters(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	first := a.startTraining(`{"epochs":1,"train_limit":256,"lr":0.01}`)
	a.waitRunEnded(first, time.Minute)
	second := a.startTraining(`{"epochs":1,"train_limit":256,"lr":0.002}`)
	a.waitRunEnded(second, time.Minute)

	r := a.get("/runs")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /runs: %d\n%s", r.Status, r.Body)
	}
	for _, want := range []string{`href="/runs/1"`, `href="/runs/2"`, "1 ep · bs 64 · lr 0.01 · 256 img",
		`name="ids" value="1"`, `action="/runs/compare"`, `href="/runs/1/delete"`, `href="/runs"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("GET /runs lacks %q", want)
		}
	}
	if i, j := strings.Index(r.Body, `data-run="2"`), strings.Index(r.Body, `data-run="1"`); i > j {
		t.Errorf("GET /runs: run 2 should come first (newest by default)")
	}
	asc := a.get("/runs?sort=config&dir=asc").Body // "lr 0.002" < "lr 0.01"
	if i, j := strings.Index(asc, `data-run="2"`), strings.Index(asc, `data-run="1"`); i > j || i < 0 {
		t.Errorf("sorted by config ascending, run 2 (lr 0.002) should come first")
	}
	if none := a.get("/runs?status=failed").Body; strings.Contains(none, `data-run=`) {
		t.Errorf("?status=failed lists runs that did not fail")
	}
	if fin := a.get("/runs?status=finished").Body; !strings.Contains(fin, `data-run="1"`) {
		t.Errorf("?status=finished lacks finished run 1")
	}
	if dash := a.get("/").Body; !strings.Contains(dash, `href="/runs"`) {
		t.Errorf("the dashboard does not link to /runs")
	}
}

func TestDeleteRunWithConfirmationLeavesNoFile(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	kept := a.startTraining(`{"epochs":2,"train_limit":256}`)
	a.waitRunEnded(kept, time.Minute)
	gone := a.startTraining(`{"epochs":2,"train_limit":256}`)
	a.waitRunEnded(gone, time.Minute)
	before := checkpointFolder(t, a)
	if !slices.ContainsFunc(before, func(n string) bool { return strings.HasPrefix(n, "run-2-") }) {
		t.Fatalf("run 2 wrote no checkpoint: %v", before)
	}
	// A stray file of the run that no row names goes too.
	stray := filepath.Join(a.Layout.Checkpoints(), "run-2-e09.ckpt")
	if err := os.WriteFile(stray, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := a.newBrowser()
	confirm := b.get("/runs/2/delete")
	if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Delete run 2?") ||
		!strings.Contains(confirm.Body, `name="_csrf"`) || !strings.Contains(confirm.Body, `href="/runs"`) {
		t.Fatalf("GET /runs/2/delete: %d, want a confirmation with a CSRF field and Cancel\n%s", confirm.Status, confirm.Body)
	}
	if r := b.postRaw("/runs/2/delete", "", false); r.Status != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %d; want 403", r.Status)
	}
	if r := b.post("/runs/2/delete", nil, false); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/runs" {
		t.Fatalf("POST /runs/2/delete: %d to %q; want 303 to /runs\n%s", r.Status, r.Header.Get("Location"), r.Body)
	}
	after := checkpointFolder(t, a)
	for _, n := range after {
		if strings.HasPrefix(n, "run-2-") {
			t.Errorf("file %s of the deleted run is left", n)
		}
	}
	if !slices.ContainsFunc(after, func(n string) bool { return strings.HasPrefix(n, "run-1-") }) {
		t.Errorf("deleting run 2 took run 1's files too: %v", after)
	}
	if r := a.get("/api/runs/2"); r.Status != http.StatusNotFound {
		t.Errorf("GET /api/runs/2 after delete: %d; want 404", r.Status)
	}
	if r := a.get("/runs"); strings.Contains(r.Body, `data-run="2"`) {
		t.Errorf("the runs page still lists run 2")
	}
}

func TestAPIDeleteRun(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	del := func(path string) response {
		req, err := http.NewRequest(http.MethodDelete, a.URL(path), nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.do(req)
	}
	id := a.startTraining(`{"epochs":1000,"train_limit":256}`)
	if r := del("/api/runs/" + itoa(id)); r.Status != http.StatusConflict || !strings.Contains(r.Body, `"code":"conflict"`) {
		t.Errorf("DELETE of the training run: %d %s; want 409 conflict", r.Status, r.Body)
	}
	a.postJSON("/api/training/stop", "", nil)
	a.waitRunEnded(id, time.Minute)
	if r := del("/api/runs/" + itoa(id)); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE of the stopped run: %d %s; want 204", r.Status, r.Body)
	}
	if files := checkpointFolder(t, a); len(files) != 0 {
		t.Errorf("files left after deleting the only run: %v", files)
	}
	// The dashboard no longer shows it, nor offers its model.
	if st := a.status(); st.Training.RunID != 0 || st.Training.Status != "idle" || st.HasModel {
		t.Errorf("status after deleting the only run: %+v; want idle, no run, no model", st.Training)
	}
	if r := a.postJSON("/api/predictions", "", nil); r.Status != http.StatusConflict {
		t.Errorf("predictions after deleting the only run: %d; want 409 (no model)", r.Status)
	}
	if r := del("/api/runs/" + itoa(id)); r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"code":"not_found"`) {
		t.Errorf("DELETE of a deleted run: %d %s; want 404 not_found", r.Status, r.Body)
	}
}
