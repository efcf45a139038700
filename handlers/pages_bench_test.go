package handlers_test

import (
	"context"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// seedHistory stores runs finished runs of 10 epochs with points loss points
// each (a spike in every run), their epoch results, 60 log lines and a
// checkpoint row per epoch, through the store's own API.
func seedHistory(t testing.TB, db fmnist.RunStore, runs, points int) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const epochs = 10
	for r := range runs {
		cfg := fmnist.Config{Epochs: epochs, BatchSize: 64, LR: 0.001 * float64(1+r%5), Seed: int64(r), TrainLimit: 6000}
		run, err := db.CreateRun(ctx, cfg, start.Add(time.Duration(r)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		curve := make([]fmnist.LossPoint, points)
		for i := range curve {
			x := float64(i+1) / float64(points) * epochs
			curve[i] = fmnist.LossPoint{Epoch: x, Loss: 2.3*math.Exp(-x) + 0.3 + 0.05*math.Sin(float64(i))}
		}
		curve[points/3].Loss = 7 // one batch's spike
		if err := db.AddLossPoints(ctx, run.ID, curve); err != nil {
			t.Fatal(err)
		}
		var logs []fmnist.LogEntry
		for e := 1; e <= epochs; e++ {
			err := db.AddEpochResult(ctx, run.ID, fmnist.EpochResult{Epoch: e, TestAccuracy: 0.8 + 0.01*float64(e),
				TestLoss: 0.5 - 0.01*float64(e), TrainLoss: 0.6 - 0.02*float64(e), ImagesPerSec: 5000 + float64(r), Seconds: 1.2})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.AddCheckpoint(ctx, run.ID, fmt.Sprintf("/nowhere/run-%d-e%02d.ckpt", run.ID, e), e, 0, start); err != nil {
				t.Fatal(err)
			}
			for range 6 {
				logs = append(logs, fmnist.LogEntry{Time: start, Level: fmnist.LevelInfo, Message: fmt.Sprintf("epoch %d done", e)})
			}
		}
		if err := db.AddLogs(ctx, run.ID, logs); err != nil {
			t.Fatal(err)
		}
		if err := db.SetRunStatus(ctx, run.ID, fmnist.StatusFinished, "", start.Add(time.Duration(r)*time.Minute+time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
}

// serveDirect answers one GET in process, so the time measured is the
// server's alone.
func serveDirect(t testing.TB, a *testApp, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = a.addr()
	rec := httptest.NewRecorder()
	a.Web.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, rec.Code)
	}
	return rec
}

// BenchmarkPages renders the runs page, a run page and a 5-run comparison
// of a database of 200 runs and 2 million loss points (10,000 a run).
//
//	go test -run '^$' -bench Pages -benchtime 20x ./handlers/
func BenchmarkPages(b *testing.B) {
	a := startApp(b, appConfig{})
	seeded := time.Now()
	seedHistory(b, a.DB, 200, 10_000)
	b.Logf("seeded 200 runs, 2,000,000 loss points in %v", time.Since(seeded).Round(time.Millisecond))
	for _, page := range []struct{ name, path string }{
		{"runs", "/runs"},
		{"run", "/runs/100"},
		{"compare5", "/runs/compare?ids=1,50,100,150,200"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				size = serveDirect(b, a, page.path).Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

var chartOptionsAttr = regexp.MustCompile(`data-(?:options|echarts)="([^"]*)"`)

// TestChartPayloadsAreCapped checks that no chart series the pages send
// has more than 2,000 points, and that a one-batch spike survives.
func TestChartPayloadsAreCapped(t *testing.T) {
	a := startApp(t, appConfig{})
	seedHistory(t, a.DB, 3, 50_000)
	for _, path := range []string{"/runs/2", "/runs/compare?ids=1,2,3"} {
		body := serveDirect(t, a, path).Body.String()
		charts := chartOptionsAttr.FindAllStringSubmatch(body, -1)
		if len(charts) == 0 {
			t.Fatalf("GET %s: no chart options", path)
		}
		for _, m := range charts {
			options := html.UnescapeString(m[1])
			for i, series := range strings.Split(options, `"data":[`)[1:] {
				end := strings.Index(series, "]}]")
				if end < 0 {
					end = len(series)
				}
				n := strings.Count(series[:end], "[")
				if n > 2000 {
					t.Errorf("GET %s: series %d has %d points; want at most 2000", path, i, n)
				}
			}
		}
		// The first chart is the loss curve: the run's, or the comparison's.
		if spikes := strings.Count(html.UnescapeString(charts[0][1]), ",7]"); spikes == 0 {
			t.Errorf("GET %s: the spike of loss 7 is lost", path)
		}
	}
}
