package handlers_test

import (
	"context"
	"encoding/csv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// getCSV downloads path and parses it as CSV, checking the headers of a
// download.
func (a *testApp) getCSV(path, filename string) [][]string {
	a.t.Helper()
	r := a.get(path)
	if r.Status != http.StatusOK {
		a.t.Fatalf("GET %s: status %d\n%s", path, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		a.t.Errorf("GET %s: Content-Type %q; want text/csv", path, ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+filename+`"` {
		a.t.Errorf("GET %s: Content-Disposition %q; want an attachment named %s", path, cd, filename)
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		a.t.Fatalf("GET %s: not CSV: %v\n%s", path, err, r.Body)
	}
	return rows
}

// sameFloat is exact equality, with NaN equal to NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
}

// float reads a number field back; "" (no value) is nil.
func float(t *testing.T, field string) *float64 {
	t.Helper()
	if field == "" {
		return nil
	}
	f, err := strconv.ParseFloat(field, 64)
	if err != nil {
		t.Fatalf("field %q is not a number: %v", field, err)
	}
	return &f
}

// Awkward values that must survive a CSV file: NaN (a diverged loss), the
// smallest and the largest float, numbers with no short decimal form, a
// tiny negative, an infinity, and a reason with commas, quotes, a newline
// and non-ASCII. (Not -0: SQLite stores it as 0. Not "\r\n": encoding/csv
// reads it back as "\n".)
var (
	awkwardFloats = []float64{math.NaN(), 5e-324, math.MaxFloat64, 0.1 + 0.2, 1.0 / 3, -1.5e-300, 2.302585092994046, math.Inf(1)}
	awkwardReason = "failed: \"loss\" is NaN, at batch 7,\nsee the log; naïve ✓ =1+1"
)

func TestCSVExportsReadBackExactly(t *testing.T) {
	a := startApp(t, appConfig{})
	ctx := context.Background()
	cfg := fmnist.Config{Epochs: 12, BatchSize: 33, LR: 3e-4 + 1e-19, Seed: 1<<53 + 1, TrainLimit: 777}
	started := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	run, err := a.DB.CreateRun(ctx, cfg, started)
	if err != nil {
		t.Fatal(err)
	}
	var points []fmnist.LossPoint
	for i, f := range awkwardFloats {
		points = append(points, fmnist.LossPoint{Epoch: float64(i) + 1.0/7, Loss: f})
	}
	if err := a.DB.AddLossPoints(ctx, run.ID, points); err != nil {
		t.Fatal(err)
	}
	n := len(awkwardFloats)
	var epochs []fmnist.EpochResult
	for i := range 3 {
		// Each column gets every awkward value over the epochs.
		e := fmnist.EpochResult{Epoch: i + 1, TestAccuracy: awkwardFloats[(i+1)%n], TestLoss: awkwardFloats[(i+2)%n],
			TrainLoss: awkwardFloats[(i+3)%n], ImagesPerSec: 1234.5678 * float64(i+1), Seconds: awkwardFloats[(i+5)%n]}
		if err := a.DB.AddEpochResult(ctx, run.ID, e); err != nil {
			t.Fatal(err)
		}
		epochs = append(epochs, e)
	}
	ended := started.Add(61*time.Minute + 1*time.Millisecond)
	if err := a.DB.SetRunStatus(ctx, run.ID, fmnist.StatusFailed, awkwardReason, ended); err != nil {
		t.Fatal(err)
	}
	going, err := a.DB.CreateRun(ctx, fmnist.DefaultConfig(), started.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	id := itoa(run.ID)
	t.Run("loss", func(t *testing.T) {
		rows := a.getCSV("/api/runs/"+id+"/loss.csv", "run-"+id+"-loss.csv")
		if !slices.Equal(rows[0], []string{"epoch", "loss"}) || len(rows) != len(points)+1 {
			t.Fatalf("loss.csv: header %v, %d rows; want epoch,loss and %d points", rows[0], len(rows)-1, len(points))
		}
		for i, p := range points {
			if e, l := float(t, rows[i+1][0]), float(t, rows[i+1][1]); !sameFloat(*e, p.Epoch) || !sameFloat(*l, p.Loss) {
				t.Errorf("loss.csv row %d: %v; want %v, %v", i+1, rows[i+1], p.Epoch, p.Loss)
			}
		}
		if rows[1][1] != "NaN" {
			t.Errorf("a NaN loss reads %q; want NaN", rows[1][1])
		}
	})
	t.Run("epochs", func(t *testing.T) {
		rows := a.getCSV("/api/runs/"+id+"/epochs.csv", "run-"+id+"-epochs.csv")
		want := []string{"epoch", "test_accuracy", "test_loss", "train_loss", "images_per_sec", "seconds"}
		if !slices.Equal(rows[0], want) || len(rows) != len(epochs)+1 {
			t.Fatalf("epochs.csv: header %v, %d rows; want %v and %d epochs", rows[0], len(rows)-1, want, len(epochs))
		}
		for i, e := range epochs {
			row := rows[i+1]
			if row[0] != strconv.Itoa(e.Epoch) {
				t.Errorf("epochs.csv row %d is epoch %q; want %d", i+1, row[0], e.Epoch)
			}
			for j, f := range []float64{e.TestAccuracy, e.TestLoss, e.TrainLoss, e.ImagesPerSec, e.Seconds} {
				if got := float(t, row[j+1]); !sameFloat(*got, f) {
					t.Errorf("epochs.csv epoch %d %s = %q; want %v", e.Epoch, want[j+1], row[j+1], f)
				}
			}
		}
	})
	t.Run("runs", func(t *testing.T) {
		rows := a.getCSV("/api/runs.csv", "runs.csv")
		want := []string{"id", "status", "reason", "started_at", "ended_at", "epochs", "batch_size", "lr", "seed", "train_limit",
			"epochs_done", "best_test_accuracy", "final_test_accuracy", "images_per_sec"}
		if !slices.Equal(rows[0], want) || len(rows) != 3 {
			t.Fatalf("runs.csv: header %v, %d rows; want %v and 2 runs", rows[0], len(rows)-1, want)
		}
		// Newest first: the run still going, with nothing to report yet.
		wantGoing := []string{itoa(going.ID), "training", "", "2026-02-03T05:05:06.789Z", "", "3", "64", "0.001", "1", "0", "0", "", "", ""}
		if !slices.Equal(rows[1], wantGoing) {
			t.Errorf("runs.csv, a going run:\n got %q\nwant %q", rows[1], wantGoing)
		}
		r := rows[2]
		if r[0] != id || r[1] != "failed" || r[2] != awkwardReason {
			t.Errorf("runs.csv: id, status, reason = %q, %q, %q; want %s, failed, %q", r[0], r[1], r[2], id, awkwardReason)
		}
		if st, err := time.Parse(time.RFC3339Nano, r[3]); err != nil || !st.Equal(started) {
			t.Errorf("started_at %q (%v); want %v", r[3], err, started)
		}
		if en, err := time.Parse(time.RFC3339Nano, r[4]); err != nil || !en.Equal(ended) {
			t.Errorf("ended_at %q (%v); want %v", r[4], err, ended)
		}
		gotCfg := fmnist.Config{LR: *float(t, r[7])}
		gotCfg.Epochs, _ = strconv.Atoi(r[5])
		gotCfg.BatchSize, _ = strconv.Atoi(r[6])
		gotCfg.Seed, _ = strconv.ParseInt(r[8], 10, 64)
		gotCfg.TrainLimit, _ = strconv.Atoi(r[9])
		if gotCfg != cfg {
			t.Errorf("config read back as %+v; want %+v", gotCfg, cfg)
		}
		// The best accuracy skips NaN; the final one is the last epoch's.
		best, final, speed := math.MaxFloat64, epochs[2].TestAccuracy, 1234.5678*2
		if r[10] != "3" || !sameFloat(*float(t, r[11]), best) || !sameFloat(*float(t, r[12]), final) || !sameFloat(*float(t, r[13]), speed) {
			t.Errorf("epochs_done, best, final, images/s = %q; want 3, %v, %v, %v", r[10:], best, final, speed)
		}
	})
	t.Run("unknown run", func(t *testing.T) {
		for _, path := range []string{"/api/runs/999/loss.csv", "/api/runs/999/epochs.csv"} {
			var e errorJSON
			if code := a.getJSON(path, &e); code != http.StatusNotFound || e.Error.Code != fmnist.ENOTFOUND {
				t.Errorf("GET %s: %d %+v; want 404 not_found", path, code, e.Error)
			}
		}
		var e errorJSON
		if code := a.getJSON("/api/runs.csv?status=nope", &e); code != http.StatusUnprocessableEntity || e.Error.Field != "status" {
			t.Errorf("GET /api/runs.csv?status=nope: %d %+v; want 422 naming status", code, e.Error)
		}
	})
}
