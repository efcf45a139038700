package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// The benchmark's run: one epoch over a synthetic set big enough that the
// trainer's throughput, not start-up, dominates.
const (
	benchTrainImages = 4096
	benchTestImages  = 512
	benchRunRequest  = `{"epochs":1,"batch_size":64,"train_limit":4096}`
)

// benchRunJSON is what the benchmark reads of GET /api/runs/{id}.
type benchRunJSON struct {
	Status string      `json:"status"`
	Reason string      `json:"reason"`
	Points []pointJSON `json:"points"`
	Epochs []struct {
		Epoch        int     `json:"epoch"`
		ImagesPerSec float64 `json:"images_per_sec"`
	} `json:"epochs"`
}

// BenchmarkTrainingViewers trains the same run watched by one live viewer
// and by fifty, on a real server: the trainer's own img/s must not drop
// with the audience (events go through a never-blocking mailbox and a hub
// that never waits for a viewer), and every viewer must still get every
// loss point. The viewers run in this process, so their reading and parsing
// competes with the trainer for the CPU, as a crowd of browsers on the same
// host would.
//
//	go test -run '^$' -bench TrainingViewers -benchtime 3x -count 3 ./handlers/
func BenchmarkTrainingViewers(b *testing.B) {
	for _, viewers := range []int{1, 50} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) {
			benchmarkTrainingWithViewers(b, viewers)
		})
	}
}

func benchmarkTrainingWithViewers(b *testing.B, viewers int) {
	source := filepath.Join(b.TempDir(), "source")
	datatest.WriteDataset(b, source, benchTrainImages, benchTestImages, 42)
	a := startApp(b, appConfig{source: source, prepared: true})
	defer a.Stop()

	var sumImagesPerSec float64
	var runs, lossEvents int
	for b.Loop() {
		b.StopTimer()
		clients := make([]*ssetest.Client, viewers)
		for i := range clients {
			clients[i] = ssetest.Connect(b, a.client, a.URL("/events"), "")
		}
		b.StartTimer()

		runID := a.startTraining(benchRunRequest)
		st := a.waitRunEnded(runID, 5*time.Minute)

		b.StopTimer()
		if st.Training.Status != string(fmnist.StatusFinished) {
			b.Fatalf("run %d ended as %q (%s), want finished", runID, st.Training.Status, st.Training.Reason)
		}
		var run benchRunJSON
		if code := a.getJSON("/api/runs/"+itoa(runID), &run); code != http.StatusOK {
			b.Fatalf("GET /api/runs/%d: status %d", runID, code)
		}
		if len(run.Epochs) != 1 || run.Epochs[0].ImagesPerSec <= 0 {
			b.Fatalf("run %d reports epochs %+v, want one with a positive images_per_sec", runID, run.Epochs)
		}
		if len(run.Points) == 0 {
			b.Fatalf("run %d has no loss points", runID)
		}
		for i, c := range clients {
			lossEvents += checkViewerGotEveryPoint(b, i, c, runID, run.Points)
		}
		sumImagesPerSec += run.Epochs[0].ImagesPerSec
		runs++

		// The next run starts with only its own audience.
		for _, c := range clients {
			c.Close()
		}
		a.waitStatus("the viewers to leave", 15*time.Second, func(st statusJSON) bool { return st.Viewers == 0 })
		b.StartTimer()
	}
	b.ReportMetric(sumImagesPerSec/float64(runs), "img/s")
	b.ReportMetric(float64(lossEvents)/float64(runs*viewers), "loss-events/viewer")
}

// checkViewerGotEveryPoint waits for viewer i to receive the loss events of
// run runID and fails unless they are exactly the run's stored points, in
// order. It returns how many it received.
func checkViewerGotEveryPoint(b *testing.B, i int, c *ssetest.Client, runID int64, points []pointJSON) int {
	b.Helper()
	runLoss := func(evs []ssetest.Event) []lossEventJSON {
		var out []lossEventJSON
		for _, e := range ssetest.Named(evs, "loss") {
			var p lossEventJSON
			if err := json.Unmarshal([]byte(e.Data), &p); err != nil {
				b.Fatalf("viewer %d: loss event %q is not JSON: %v", i, e.Data, err)
			}
			if p.Run == runID {
				out = append(out, p)
			}
		}
		return out
	}
	// The hub has sent everything by now; the viewer may still be reading.
	evs := c.WaitFor(b, fmt.Sprintf("viewer %d to get %d loss points", i, len(points)), 30*time.Second,
		func(evs []ssetest.Event) bool { return len(runLoss(evs)) >= len(points) })
	got := runLoss(evs)
	if len(got) != len(points) {
		b.Fatalf("viewer %d got %d loss points of run %d, the run has %d", i, len(got), runID, len(points))
	}
	for j, p := range got {
		if p.Epoch != points[j].Epoch || p.Loss != points[j].Loss {
			b.Fatalf("viewer %d: loss point %d is %+v, the run stored %+v", i, j, p, points[j])
		}
	}
	return len(got)
}
