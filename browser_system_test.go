package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBrowserSystemPanel trains with the dashboard open: the system panel
// shows the process's CPU, memory, goroutines, images/s and kernel path
// every 2 s (live with JavaScript; on each refresh without).
func TestBrowserSystemPanel(t *testing.T) { browserSystemPanel(t, true) }

func TestBrowserSystemPanelWithoutJavaScript(t *testing.T) { browserSystemPanel(t, false) }

func browserSystemPanel(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin) // the dataset only
	b.navigate(t, origin+"/")
	if !strings.Contains(b.eval(t, "document.getElementById('system-panel').textContent"), "Sampled every 2 seconds") {
		t.Error("before any run the system panel should say when it samples")
	}
	browserStartTraining(t, origin, `{"epochs":100,"train_limit":1024,"batch_size":32}`)
	const sampled = "(() => { const k = document.getElementById('system-kernel'), r = document.getElementById('system-rate');" +
		" return !!k && k.textContent.trim() !== '' && !!r && r.textContent.trim() !== '0'; })()"
	if javaScript {
		b.waitFor(t, "a live system sample", browserStepTimeout, sampled)
	} else {
		// Without JavaScript the page refreshes itself every 3 s; reloading
		// reads the same latest sample sooner.
		b.waitFor(t, "a system sample after a reload", browserStepTimeout,
			"(() => { if (!document.getElementById('system-kernel')) { location.reload(); return false; } return true; })()")
		b.waitFor(t, "the dashboard with a sample", browserStepTimeout, "document.readyState === 'complete'")
	}
	// The page is still (no live redraws, no self-refresh) once the run
	// stopped; the panel keeps the run's last sample.
	if err := browserStopTraining(origin); err != nil {
		t.Fatal(err)
	}
	if !javaScript {
		b.waitFor(t, "the run to stop", browserTrainingTimeout,
			"(() => { if (!document.querySelector('meta[http-equiv=refresh]')) return true; location.reload(); return false; })()")
		// The page that said so is the last one: it no longer refreshes.
		b.waitFor(t, "the dashboard after the run", browserStepTimeout, "document.readyState === 'complete'")
	}
	b.waitFor(t, "the stopped run's last sample", browserStepTimeout, sampled)
	text := strings.Join(strings.Fields(b.eval(t, "document.getElementById('system-panel').textContent")), " ")
	for _, want := range []string{"CPU", "Memory", "MiB", "Goroutines", "Images/s", "Kernel"} {
		if !strings.Contains(text, want) {
			t.Errorf("the system panel %q lacks %q", text, want)
		}
	}
	b.stageAt(t, "1-after-training")
	b.checkAccessible(t, "the dashboard with the system panel")
	b.checkClean(t)
}

// browserStartTraining starts a run of cfg through the API without waiting
// for it; it is stopped when the test ends.
func browserStartTraining(t *testing.T, origin, cfg string) {
	t.Helper()
	resp, err := http.Post(origin+"/api/training", "application/json", strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = browserStopTraining(origin) })
}

// browserStopTraining asks the running run to stop.
func browserStopTraining(origin string) error {
	resp, err := http.Post(origin+"/api/training/stop", "application/json", nil)
	if err != nil {
		return fmt.Errorf("stop training: %w", err)
	}
	return resp.Body.Close()
}
