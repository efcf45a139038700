package handlers_test

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// TestMemoryStaysFlatAcrossRuns trains 20 runs back to back through the API,
// with predictions after each, and checks that the live heap after a GC
// hardly grows over the first run and not by more than 10% between run 2
// and run 20: a run must free its network, graph and buffers when it ends,
// not leave them to finalizers or a cache. (With the real dataset the same check is in the README:
// go test -run '^$' -bench MemoryAcrossRuns ./handlers/.)
func TestMemoryStaysFlatAcrossRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("20 training runs; skipped with -short")
	}
	a := startApp(t, appConfig{prepared: true})
	a.status() // the dataset is loaded
	before := liveHeap()
	var after2 uint64
	for i := 1; i <= 20; i++ {
		heap := trainAndMeasure(t, a)
		switch i {
		case 1:
			// Nothing big outlives a run and its predictions: not the
			// run's network, nor the one that made the predictions.
			if heap > before+8<<20 {
				t.Errorf("the live heap grew from %.1f MB before the first run to %.1f MB after it and its predictions", mb(before), mb(heap))
			}
		case 2:
			after2 = heap
		case 20:
			t.Logf("live heap after run 2: %.1f MB, after run 20: %.1f MB", mb(after2), mb(heap))
			// 10%, but at least 4 MB: with the small test dataset the heap
			// is a few megabytes and a stray buffer is 10% of it, while a
			// leaked network alone is tens of megabytes.
			if limit := max(1.10*float64(after2), float64(after2)+4<<20); float64(heap) > limit {
				t.Errorf("the live heap grew from %.1f MB after run 2 to %.1f MB after run 20 (limit %.1f MB)", mb(after2), mb(heap), mb(uint64(limit)))
			}
		}
	}
}

// trainAndMeasure runs one short run to its end, asks for predictions, and
// returns the live heap after a full collection.
func trainAndMeasure(t testing.TB, a *testApp) uint64 {
	id := a.startTraining(`{"epochs":1,"batch_size":64}`)
	if st := a.waitRunEnded(id, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("run %d ended as %q", id, st.Training.Status)
	}
	if r := a.postJSON("/api/predictions", `{}`, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /api/predictions: status %d", r.Status)
	}
	return liveHeap()
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC() // the second collects what finalizers of the first released
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// BenchmarkMemoryAcrossRuns is the same check on the real dataset: one
// iteration is one run of 3,000 training images and the 10,000 test images,
// with predictions. Run it 20 times (-benchtime 20x); it reports the live
// heap and the resident memory after the last run, and the peak.
func BenchmarkMemoryAcrossRuns(b *testing.B) {
	a := startApp(b, appConfig{source: datatest.SharedDir(b), prepared: true})
	var heap uint64
	for b.Loop() {
		id := a.startTraining(`{"epochs":1,"batch_size":64,"train_limit":3000}`)
		if st := a.waitRunEnded(id, 5*time.Minute); st.Training.Status != string(fmnist.StatusFinished) {
			b.Fatalf("run %d ended as %q", id, st.Training.Status)
		}
		if r := a.postJSON("/api/predictions", `{}`, nil); r.Status != http.StatusOK {
			b.Fatalf("POST /api/predictions: status %d", r.Status)
		}
		b.StopTimer()
		heap = liveHeap()
		b.StartTimer()
	}
	b.ReportMetric(mb(heap), "heap-MB")
	if rss, ok := procStatus("VmRSS:"); ok {
		b.ReportMetric(mb(rss), "RSS-MB")
	}
	if peak, ok := procStatus("VmHWM:"); ok {
		b.ReportMetric(mb(peak), "peak-RSS-MB")
	}
}

// procStatus reads a size in kB from /proc/self/status, such as the
// resident set (VmRSS) or its peak (VmHWM), where /proc has it.
func procStatus(field string) (uint64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
