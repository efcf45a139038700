package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/handlers/internal/ssetest"
)

// While a run trains, the system panel's "system" event arrives every 2 s
// on both streams (the page's HTML panel, the scripts' JSON), the page
// shows the latest sample without JavaScript, and the sampler ends with the
// run (goleak, in TestMain).
func TestSystemEvents(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	after := itoa(int64(a.status().LastEventID))
	page := ssetest.Connect(t, a.client, a.URL("/events?after="+after), "")
	scripts := ssetest.Connect(t, a.client, a.URL("/events?format=json&after="+after), "")
	run := a.startTraining(`{"epochs":500,"batch_size":4}`)
	scripts.WaitFor(t, "a system event", 20*time.Second, ssetest.HasEvent("system"))
	page.WaitFor(t, "a system panel", 5*time.Second, ssetest.HasEvent("system"))

	var sys struct {
		Run          int64   `json:"run"`
		CPUPercent   float64 `json:"cpu_percent"`
		RSSBytes     uint64  `json:"rss_bytes"`
		Goroutines   int     `json:"goroutines"`
		ImagesPerSec float64 `json:"images_per_sec"`
		KernelPath   string  `json:"kernel_path"`
	}
	data := ssetest.Named(scripts.Events(), "system")[0].Data
	if err := json.Unmarshal([]byte(data), &sys); err != nil {
		t.Fatalf("system event %s: %v", data, err)
	}
	if sys.Run != run || sys.RSSBytes == 0 || sys.Goroutines < 1 || sys.KernelPath == "" || sys.ImagesPerSec <= 0 || sys.CPUPercent <= 0 {
		t.Errorf("system event %+v; want run %d's CPU, memory, goroutines, images/s and kernel path", sys, run)
	}
	if html := ssetest.Named(page.Events(), "system")[0].Data; !strings.Contains(html, `id="system-panel"`) || !strings.Contains(html, `id="system-kernel"`) {
		t.Errorf("the page's system event is not the panel: %s", html)
	}
	if body := a.get("/").Body; !strings.Contains(body, `id="system-rss"`) || !strings.Contains(body, " MiB</dd>") {
		t.Errorf("the dashboard does not show the latest sample without JavaScript")
	}
	if r := a.postJSON("/api/training/stop", "", nil); r.Status != http.StatusAccepted {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	a.waitRunEnded(run, 30*time.Second)
}
