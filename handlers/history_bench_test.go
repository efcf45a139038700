package handlers_test

import (
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// BenchmarkLongRunCurve serves the curve of a run of 200,000 loss points
// (100 epochs of 2,000 batches) over a real server: the dashboard, which
// thins it to its 2,000-point chart, and the API whole, thinned and as a
// one-epoch window.
func BenchmarkLongRunCurve(b *testing.B) {
	dataDir := b.TempDir()
	first := startApp(b, appConfig{dataDir: dataDir})
	ctx := context.Background()
	run, err := first.DB.CreateRun(ctx, fmnist.DefaultConfig(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	points := make([]fmnist.LossPoint, 200_000)
	for i := range points {
		x := float64(i+1) / 2000
		points[i] = fmnist.LossPoint{Epoch: x, Loss: 0.3 + 2*math.Exp(-x/10) + 0.01*float64(i%13)}
	}
	if err := first.DB.AddLossPoints(ctx, run.ID, points); err != nil {
		b.Fatal(err)
	}
	first.Stop()
	a := startApp(b, appConfig{dataDir: dataDir, source: first.Source}) // shows the run on the dashboard
	id := itoa(run.ID)
	for _, c := range []struct{ name, path string }{
		{"dashboard", "/"},
		{"api-all", "/api/runs/" + id},
		{"api-max_points=2000", "/api/runs/" + id + "?max_points=2000"},
		{"api-one-epoch", "/api/runs/" + id + "?from=50&to=51"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if r := a.get(c.path); r.Status != http.StatusOK {
					b.Fatalf("GET %s: status %d", c.path, r.Status)
				}
			}
		})
	}
}
