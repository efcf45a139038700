package main

// Browser tests of the runs pages: two runs with different learning rates
// compared, and a run deleted after its confirmation, each with JavaScript
// on and off.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBrowserCompareRuns(t *testing.T)                  { browserCompareRuns(t, true) }
func TestBrowserCompareRunsWithoutJavaScript(t *testing.T) { browserCompareRuns(t, false) }

func browserCompareRuns(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin, `{"epochs":2,"train_limit":256,"lr":0.01}`, `{"epochs":2,"train_limit":256,"lr":0.001}`)

	b.navigate(t, origin+"/runs")
	if got := b.evalInt(t, "document.querySelectorAll('#runs-table tbody tr').length"); got != 2 {
		t.Fatalf("the runs page lists %d runs, want 2", got)
	}
	b.atWidths(t, "1-runs", b.screenshot) // on a phone the table scrolls, not the page
	b.checkAccessible(t, "/runs")
	b.click(t, `input[name="ids"][value="1"]`)
	b.click(t, `input[name="ids"][value="2"]`)
	b.clickButton(t, "Compare")
	b.waitFor(t, "the comparison", browserStepTimeout,
		"location.pathname === '/runs/compare' && !!document.getElementById('config-table')")
	if differ := b.eval(t, `[...document.querySelectorAll('#config-table tr[data-differ="true"] th')].map(th => th.textContent).join()`); differ != "Learning rate" {
		t.Errorf("highlighted config rows: %q, want only the learning rate", differ)
	}
	if javaScript {
		b.waitFor(t, "two overlaid curves with a legend", browserStepTimeout, `(() => {
			const el = document.getElementById('compare-chart');
			const chart = el && window.echarts && echarts.getInstanceByDom(el);
			if (!chart) return false;
			const o = chart.getOption();
			return o.series.length === 2 && o.series.every(s => s.data.length > 0) && o.legend[0].show &&
				o.series[0].lineStyle.color !== o.series[1].lineStyle.color;
		})()`)
	} else {
		got := b.eval(t, `[...document.querySelectorAll('#compare-chart-static polyline')].map(p => {
			const box = p.getBoundingClientRect();
			return box.width > 100 ? p.getAttribute('stroke') : 'hidden';
		}).join()`)
		if got != "#2563eb,#dc2626" {
			t.Errorf("the static comparison draws %q, want a blue and a red curve", got)
		}
		if n := b.evalInt(t, "document.querySelectorAll('#compare-chart canvas').length"); n != 0 {
			t.Errorf("found %d chart canvases with JavaScript disabled", n)
		}
	}
	b.screenshot(t, "2-compare")
	b.checkAccessible(t, "/runs/compare")

	// A run's page: the loss per batch, and per epoch both losses and the
	// accuracy on a second axis.
	b.navigate(t, origin+"/runs/1")
	if javaScript {
		b.waitFor(t, "the run's charts", browserStepTimeout, `(() => {
			const loss = echarts.getInstanceByDom(document.getElementById('loss-chart'));
			const ep = echarts.getInstanceByDom(document.getElementById('epoch-chart'));
			return !!loss && !!ep && loss.getOption().series[0].data.length > 0 &&
				ep.getOption().series.length === 3 && ep.getOption().yAxis.length === 2;
		})()`)
	} else if n := b.evalInt(t, "document.querySelectorAll('#loss-chart-static path.curve, #epoch-chart-static polyline').length"); n != 4 {
		t.Errorf("the run page draws %d curves without JavaScript, want 1 + 3", n)
	}
	b.atWidths(t, "3-run", b.screenshot)
	b.checkAccessible(t, "/runs/1")
	b.checkClean(t)
}

func TestBrowserDeleteRun(t *testing.T)                  { browserDeleteRun(t, true) }
func TestBrowserDeleteRunWithoutJavaScript(t *testing.T) { browserDeleteRun(t, false) }

func browserDeleteRun(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin, `{"epochs":1,"train_limit":256}`, `{"epochs":1,"train_limit":256}`)

	b.navigate(t, origin+"/runs")
	b.click(t, `tr[data-run="2"] a[href="/runs/2/delete"]`)
	b.waitFor(t, "the confirmation", browserStepTimeout, "document.body.innerText.includes('Delete run 2?')")
	b.screenshot(t, "1-confirm")
	b.checkAccessible(t, "the delete confirmation")
	b.clickButton(t, "Delete")
	b.waitFor(t, "the runs page without run 2", browserStepTimeout,
		`location.pathname === '/runs' && !!document.getElementById('runs-table') && !document.querySelector('tr[data-run="2"]')`)
	if !b.evalBool(t, `!!document.querySelector('tr[data-run="1"]')`) {
		t.Error("run 1 went too")
	}
	b.screenshot(t, "2-deleted")
	b.checkClean(t)
}

// browserTrainRuns prepares the dataset and trains one run per config
// through the API, one after the other.
func browserTrainRuns(t *testing.T, origin string, configs ...string) {
	t.Helper()
	post := func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(origin+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 || json.Unmarshal(raw, &out) != nil {
			t.Fatalf("POST %s %s: %d %s", path, body, resp.StatusCode, raw)
		}
		return out
	}
	status := func() (dataset, training string) {
		t.Helper()
		resp, err := http.Get(origin + "/api/status")
		if err != nil {
			t.Fatalf("GET /api/status: %v", err)
		}
		defer resp.Body.Close()
		var st struct {
			Dataset  struct{ Status string }
			Training struct{ Status string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatalf("GET /api/status: %v", err)
		}
		return st.Dataset.Status, st.Training.Status
	}
	waitFor := func(what string, timeout time.Duration, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(timeout); !done(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited %v for %s", timeout, what)
			}
		}
	}
	post("/api/dataset", "")
	waitFor("the dataset", browserDownloadTimeout, func() bool { d, _ := status(); return d == "ready" })
	for _, cfg := range configs {
		run := post("/api/training", cfg)
		waitFor(fmt.Sprintf("run %v to end", run["run_id"]), browserTrainingTimeout, func() bool {
			_, tr := status()
			return tr != "training" && tr != "stopping"
		})
	}
}

// TestBrowserRunPageIsLive opens the page of a training run: its curve
// grows from the event stream, and when the run is stopped the page
// reloads with its checkpoint.
func TestBrowserRunPageIsLive(t *testing.T) {
	b, origin := startBrowserTest(t, true)
	browserTrainRuns(t, origin) // the dataset only
	resp, err := http.Post(origin+"/api/training", "application/json",
		strings.NewReader(`{"epochs":100,"train_limit":1024,"batch_size":32}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	b.navigate(t, origin+"/runs/1")
	b.waitFor(t, "live points in the run's loss chart", browserTrainingTimeout, `(() => {
		const chart = echarts.getInstanceByDom(document.getElementById('loss-chart'));
		window.firstCount = window.firstCount || (chart ? chart.getOption().series[0].data.length : 0);
		return !!chart && chart.getOption().series[0].data.length > window.firstCount;
	})()`)
	b.screenshot(t, "1-training")
	b.checkAccessible(t, "a run's page during training")
	if resp, err = http.Post(origin+"/api/training/stop", "application/json", nil); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b.waitFor(t, "the page to reload with the run stopped and its checkpoint", browserTrainingTimeout,
		`!document.getElementById('live') && document.body.innerText.toLowerCase().includes('stopped') && !!document.getElementById('checkpoints-table')`)
	b.screenshot(t, "2-stopped")
	b.checkClean(t)
}
