package handlers_test

import (
	"context"
	"html"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// runListJSON is GET /api/runs as a script reads it.
type runListJSON struct {
	Runs []struct {
		ID               int64    `json:"id"`
		Status           string   `json:"status"`
		EpochsDone       int      `json:"epochs_done"`
		DurationSeconds  float64  `json:"duration_seconds"`
		TestAccuracy     *float64 `json:"test_accuracy"`
		BestTestAccuracy *float64 `json:"best_test_accuracy"`
		ImagesPerSec     *float64 `json:"images_per_sec"`
	} `json:"runs"`
	Limit      int  `json:"limit"`
	Offset     int  `json:"offset"`
	NextOffset *int `json:"next_offset"`
}

func (l runListJSON) ids() []int64 {
	var out []int64
	for _, r := range l.Runs {
		out = append(out, r.ID)
	}
	return out
}

// seedRuns writes n ended runs through the store, alternating finished and
// failed, each with two evaluated epochs, and returns their ids.
func seedRuns(t *testing.T, db fmnist.RunStore, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ids []int64
	for i := range n {
		run, err := db.CreateRun(ctx, fmnist.DefaultConfig(), start)
		if err != nil {
			t.Fatal(err)
		}
		for e, acc := range []float64{0.8, 0.75} {
			r := fmnist.EpochResult{Epoch: e + 1, TestAccuracy: acc, TestLoss: 0.5, TrainLoss: 0.6,
				ImagesPerSec: float64(1000 * (e + 1)), Seconds: 30}
			if err := db.AddEpochResult(ctx, run.ID, r); err != nil {
				t.Fatal(err)
			}
		}
		status := fmnist.StatusFinished
		if i%2 == 1 {
			status = fmnist.StatusFailed
		}
		if err := db.SetRunStatus(ctx, run.ID, status, "", start.Add(90*time.Second)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}
	return ids
}

func TestAPIRunsFiltersAndPages(t *testing.T) {
	a := startApp(t, appConfig{})
	ids := seedRuns(t, a.DB, 5) // finished: ids[0], [2], [4]
	var l runListJSON
	if code := a.getJSON("/api/runs", &l); code != http.StatusOK || len(l.Runs) != 5 || l.Limit != 100 || l.NextOffset != nil {
		t.Fatalf("GET /api/runs: status %d, %d runs, limit %d, next %v", code, len(l.Runs), l.Limit, l.NextOffset)
	}
	r := l.Runs[0]
	if r.ID != ids[4] || r.EpochsDone != 2 || r.DurationSeconds != 90 || r.TestAccuracy == nil || *r.TestAccuracy != 0.75 ||
		r.BestTestAccuracy == nil || *r.BestTestAccuracy != 0.8 || r.ImagesPerSec == nil || *r.ImagesPerSec != 1500 {
		t.Errorf("newest run %+v; want run %d: 2 epochs, 90 s, final 0.75, best 0.8, 1500 images/s", r, ids[4])
	}

	l = runListJSON{}
	a.getJSON("/api/runs?status=finished&limit=2", &l)
	if want := []int64{ids[4], ids[2]}; !slices.Equal(l.ids(), want) || l.NextOffset == nil || *l.NextOffset != 2 {
		t.Errorf("finished, first page: %v next %v; want %v next 2", l.ids(), l.NextOffset, want)
	}
	l = runListJSON{}
	a.getJSON("/api/runs?status=finished&limit=2&offset=2", &l)
	if want := []int64{ids[0]}; !slices.Equal(l.ids(), want) || l.NextOffset != nil || l.Offset != 2 {
		t.Errorf("finished, second page: %v next %v; want %v and no next", l.ids(), l.NextOffset, want)
	}
	l = runListJSON{}
	a.getJSON("/api/runs?status=stopped", &l)
	if l.Runs == nil || len(l.Runs) != 0 {
		t.Errorf("no stopped runs: got %v; want an empty list", l.Runs)
	}
}

func TestAPIRefusesBadQueryNamingTheField(t *testing.T) {
	a := startApp(t, appConfig{})
	id := seedRuns(t, a.DB, 1)[0]
	run := "/api/runs/" + itoa(id)
	for _, tc := range []struct{ path, field string }{
		{"/api/runs?status=bogus", "status"},
		{"/api/runs?status=idle", "status"}, // a status of the app, not of a run
		{"/api/runs?limit=0", "limit"},
		{"/api/runs?limit=1001", "limit"},
		{"/api/runs?limit=ten", "limit"},
		{"/api/runs?offset=-1", "offset"},
		{run + "?from=x", "from"},
		{run + "?to=NaN", "to"},
		{run + "?from=Inf", "from"},
		{run + "?from=2&to=1", "to"},
		{run + "?max_points=2", "max_points"},
		{run + "?max_points=1.5", "max_points"},
	} {
		var e errorJSON
		if code := a.getJSON(tc.path, &e); code != http.StatusUnprocessableEntity || e.Error.Code != fmnist.EINVALID || e.Error.Field != tc.field {
			t.Errorf("GET %s: %d %+v; want 422 invalid naming %q", tc.path, code, e.Error, tc.field)
		}
	}
}

// curveJSON is the curve of GET /api/runs/{id}.
type curveJSON struct {
	Points []pointJSON `json:"points"`
}

func TestAPIRunCurveWindowAndMaxPoints(t *testing.T) {
	a := startApp(t, appConfig{})
	ctx := context.Background()
	run, err := a.DB.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// 10,000 points over 10 epochs, with one spike at epoch 7.
	points := make([]fmnist.LossPoint, 10_000)
	for i := range points {
		points[i] = fmnist.LossPoint{Epoch: float64(i+1) / 1000, Loss: 1 + float64(i%7)/100}
	}
	points[6999].Loss = 20
	if err := a.DB.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatal(err)
	}
	path := "/api/runs/" + itoa(run.ID)
	var all curveJSON
	if a.getJSON(path, &all); len(all.Points) != len(points) {
		t.Errorf("without parameters: %d points; want all %d", len(all.Points), len(points))
	}

	var win curveJSON
	a.getJSON(path+"?from=2&to=3", &win)
	var want []pointJSON
	for _, p := range points {
		if p.Epoch >= 2 && p.Epoch <= 3 {
			want = append(want, pointJSON(p))
		}
	}
	if !samePoints(win.Points, want) {
		t.Errorf("?from=2&to=3: %d points from %v; want the %d points of epochs 2 to 3 at full resolution",
			len(win.Points), win.Points[:min(2, len(win.Points))], len(want))
	}
	var after curveJSON
	if a.getJSON(path+"?from=9.9995", &after); len(after.Points) != 1 || after.Points[0].Epoch != 10 {
		t.Errorf("?from=9.9995: %v; want the last point", after.Points)
	}

	var thin curveJSON
	a.getJSON(path+"?max_points=100", &thin)
	if len(thin.Points) != 100 || thin.Points[0] != pointJSON(points[0]) || thin.Points[99] != pointJSON(points[len(points)-1]) ||
		!slices.Contains(thin.Points, pointJSON(points[6999])) {
		t.Errorf("?max_points=100: %d points; want 100 with both ends and the spike", len(thin.Points))
	}
	var thinWin curveJSON
	if a.getJSON(path+"?from=6&to=8&max_points=50", &thinWin); len(thinWin.Points) != 50 ||
		!slices.Contains(thinWin.Points, pointJSON(points[6999])) {
		t.Errorf("?from=6&to=8&max_points=50: %d points; want 50 with the spike", len(thinWin.Points))
	}
}

// The dashboard draws the whole run thinned to its chart's cap, not just
// the newest points: the start of the run and a spike stay on it.
func TestDashboardChartThinsTheWholeRun(t *testing.T) {
	dataDir := t.TempDir()
	first := startApp(t, appConfig{dataDir: dataDir})
	ctx := context.Background()
	run, err := first.DB.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	points := make([]fmnist.LossPoint, 5000)
	for i := range points {
		points[i] = fmnist.LossPoint{Epoch: float64(i+1) / 1000, Loss: 2 - float64(i)/5000}
	}
	points[123].Loss = 30
	if err := first.DB.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatal(err)
	}
	first.Stop()
	// The next start shows the newest run (now interrupted) on the page.
	a := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	page := a.get("/")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `data-run="`+itoa(run.ID)+`"`) {
		t.Fatalf("GET /: status %d, not showing run %d", page.Status, run.ID)
	}
	got := chartPoints(t, page.Body)
	if len(got) != 2000 || got[0] != pointJSON(points[0]) || got[len(got)-1] != pointJSON(points[len(points)-1]) ||
		!slices.Contains(got, pointJSON(points[123])) {
		t.Errorf("the chart has %d points from %v to %v; want 2,000 from the first to the last, with the spike",
			len(got), got[0], got[len(got)-1])
	}
}

// A diverged run's NaN (and infinite) values are null in the JSON, where
// they used to make the whole answer fail.
func TestAPIRunWithNaNValuesIsNull(t *testing.T) {
	a := startApp(t, appConfig{})
	ctx := context.Background()
	run, err := a.DB.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	nan, inf := math.NaN(), math.Inf(1)
	if err := a.DB.AddLossPoints(ctx, run.ID, []fmnist.LossPoint{{Epoch: 0.5, Loss: 2}, {Epoch: 1, Loss: nan}}); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.AddEpochResult(ctx, run.ID, fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.1, TestLoss: nan, TrainLoss: inf, ImagesPerSec: 10, Seconds: 3}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Points []struct {
			Loss *float64 `json:"loss"`
		} `json:"points"`
		Epochs []struct {
			TestAccuracy *float64 `json:"test_accuracy"`
			TestLoss     *float64 `json:"test_loss"`
			TrainLoss    *float64 `json:"train_loss"`
		} `json:"epochs"`
	}
	if code := a.getJSON("/api/runs/"+itoa(run.ID), &got); code != http.StatusOK {
		t.Fatalf("GET /api/runs/%d: status %d", run.ID, code)
	}
	if len(got.Points) != 2 || got.Points[0].Loss == nil || got.Points[1].Loss != nil {
		t.Errorf("points %+v; want a loss of 2, then null", got.Points)
	}
	if e := got.Epochs; len(e) != 1 || e[0].TestAccuracy == nil || e[0].TestLoss != nil || e[0].TrainLoss != nil {
		t.Errorf("epochs %+v; want an accuracy and null losses", e)
	}
}

// TestPagesLinkTheirCSVDownloads follows the runs page's and a run page's
// download links: each answers CSV with its header row.
func TestPagesLinkTheirCSVDownloads(t *testing.T) {
	a := startApp(t, appConfig{})
	id := seedRuns(t, a.DB, 1)[0]
	links := map[string]string{"/runs": "runs-csv", "/runs/" + itoa(id): "loss-csv", "/runs/" + itoa(id) + "#": "epochs-csv"}
	for page, linkID := range links {
		body := a.get(strings.TrimSuffix(page, "#")).Body
		m := regexp.MustCompile(`id="` + linkID + `"[^>]*href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s has no #%s download link", page, linkID)
			continue
		}
		r := a.get(html.UnescapeString(m[1]))
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Body, "epoch") && !strings.Contains(r.Body, "id,") {
			t.Errorf("%s's #%s (%s): status %d, %q:\n%.200s", page, linkID, m[1], r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
}
