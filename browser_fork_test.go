package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFork forks a 2-epoch run from its epoch-1 checkpoint with
// another learning rate and schedule, through the run page's Fork form, and opens
// "compare with parent": both curves are drawn, and the fork's starts at
// epoch 1.0 with a "fork of run 1" mark there. With JavaScript the ECharts
// options are read; without it, the server's SVG.
func TestBrowserFork(t *testing.T) { browserFork(t, true) }

func TestBrowserForkWithoutJavaScript(t *testing.T) { browserFork(t, false) }

func browserFork(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin, `{"epochs":2,"train_limit":256,"lr":0.01}`)

	b.navigate(t, origin+"/runs/1")
	ckpt := b.eval(t, `(() => {
		const row = [...document.querySelectorAll('#checkpoints-table tbody tr')].find(tr =>
			tr.cells[1].textContent.trim() === '1' && tr.cells[2].textContent.trim() === '0');
		return row ? row.dataset.checkpoint : '';
	})()`)
	if ckpt == "" {
		t.Fatal("the run page lists no checkpoint of epoch 1")
	}
	b.do(t, "type the fork's learning rate", chromedp.SetValue(chromedp.CSS("#fork-lr-"+ckpt), "0.001"))
	b.click(t, fmt.Sprintf(`tr[data-checkpoint="%s"] .fork-recipe summary`, ckpt))
	b.do(t, "choose the fork's schedule", chromedp.SetValue(chromedp.CSS("#fork-schedule-"+ckpt), "cosine"))
	b.screenshot(t, "1-parent")
	b.click(t, fmt.Sprintf(`tr[data-checkpoint="%s"] .fork-form button`, ckpt))
	b.waitFor(t, "the fork's page", browserStepTimeout,
		"location.pathname === '/runs/2' && !!document.getElementById('fork-of')")
	browserWaitRunEnded(t, origin, 2)

	b.navigate(t, origin+"/runs/2")
	if got := b.eval(t, "document.getElementById('fork-of').textContent.replace(/\\s+/g, ' ').trim()"); got != "Forked from run 1 at epoch 1 (batch 0) · compare with parent" {
		t.Errorf("the fork's page says %q", got)
	}
	if got := b.eval(t, "[...document.querySelectorAll('#config-panel dt')].find(dt => dt.textContent === 'Learning rate').nextElementSibling.textContent"); got != "0.001" {
		t.Errorf("the fork's learning rate is %q; want 0.001", got)
	}
	if got := b.eval(t, "[...document.querySelectorAll('#config-panel dt')].find(dt => dt.textContent === 'Schedule').nextElementSibling.textContent"); got != "cosine" {
		t.Errorf("the fork's schedule is %q; want cosine", got)
	}
	b.screenshot(t, "2-fork")

	b.click(t, "#compare-with-parent")
	b.waitFor(t, "the comparison", browserStepTimeout,
		"location.pathname === '/runs/compare' && location.search === '?ids=1,2' && !!document.getElementById('config-table')")
	var js string
	if javaScript {
		b.waitFor(t, "the overlaid curves", browserStepTimeout,
			"(() => { const el = document.getElementById('compare-chart'); return !!(el && window.echarts && echarts.getInstanceByDom(el)); })()")
		js = browserForkOverlayJS
	} else {
		js = browserForkOverlaySVG
	}
	got := browserEval[browserForkOverlay](t, b, js)
	b.screenshot(t, "3-compare")
	if len(got.Drawn) != 2 || got.Drawn[0] <= 0 || got.Drawn[1] <= 0 || (!javaScript && (got.Drawn[0] < 100 || got.Drawn[1] < 50)) {
		t.Errorf("the comparison draws %v; want both curves", got.Drawn)
	}
	if math.Abs(got.MarkEpoch-1) > 1e-9 || got.MarkLabel != "fork of run 1" || got.ParentMark {
		t.Errorf("the mark: %q at epoch %v (the parent marked: %v); want 'fork of run 1' at 1.0 on the fork only",
			got.MarkLabel, got.MarkEpoch, got.ParentMark)
	}
	// The fork's curve starts at the mark: epoch 1.0 (with JavaScript the
	// x values are epochs, without they are the SVG's pixels).
	if tolerance := map[bool]float64{true: 1e-6, false: 0.5}[javaScript]; len(got.First) != 2 || math.Abs(got.First[0]-got.MarkX) > tolerance {
		t.Errorf("the fork's curve starts at %v, its mark is at %v; want the same x (epoch 1.0)", got.First, got.MarkX)
	}
	b.checkClean(t)
}

// browserForkOverlay is the comparison of run 1 and its fork, run 2, as
// drawn: with JavaScript in epochs, without in the SVG's pixels.
type browserForkOverlay struct {
	Drawn      []int     `json:"drawn"`      // points (JS) or pixels wide (SVG) of each curve
	First      []float64 `json:"first"`      // the fork's first point
	MarkX      float64   `json:"markX"`      // where its mark is drawn
	MarkEpoch  float64   `json:"markEpoch"`  // the epoch it marks
	MarkLabel  string    `json:"markLabel"`  // its label
	ParentMark bool      `json:"parentMark"` // the parent is marked too
}

const browserForkOverlayJS = `(() => {
	const o = echarts.getInstanceByDom(document.getElementById('compare-chart')).getOption();
	const fork = o.series.find(s => s.name === 'run 2'), parent = o.series.find(s => s.name === 'run 1');
	const m = fork.markLine && fork.markLine.data && fork.markLine.data[0];
	return {
		drawn: o.series.map(s => s.data.length),
		first: (fork.data[0].value || fork.data[0]).map(Number),
		markX: m ? Number(m.xAxis) : -1, markEpoch: m ? Number(m.xAxis) : -1,
		markLabel: m ? String(fork.markLine.label.formatter || m.name) : '',
		parentMark: !!(parent.markLine && parent.markLine.data && parent.markLine.data.length),
	};
})()`

const browserForkOverlaySVG = `(() => {
	const svg = document.getElementById('compare-chart-static');
	const fork = svg.querySelector('polyline[data-series="run 2"]');
	const mark = svg.querySelector('line.series-mark[data-series="run 2"]');
	return {
		drawn: [...svg.querySelectorAll('polyline')].map(p => Math.round(p.getBoundingClientRect().width)),
		first: fork.getAttribute('points').trim().split(/\s+/)[0].split(',').map(Number),
		markX: mark ? Number(mark.getAttribute('x1')) : -1, markEpoch: mark ? Number(mark.dataset.x) : -1,
		markLabel: mark ? mark.nextElementSibling.textContent : '',
		parentMark: !!svg.querySelector('line.series-mark[data-series="run 1"]'),
	};
})()`

// browserWaitRunEnded waits until run id has ended, asking the API.
func browserWaitRunEnded(t *testing.T, origin string, id int64) {
	t.Helper()
	for deadline := time.Now().Add(browserTrainingTimeout); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(origin + "/api/status")
		if err != nil {
			t.Fatalf("GET /api/status: %v", err)
		}
		var st struct {
			Training struct {
				Status string
				RunID  int64 `json:"run_id"`
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET /api/status: %v", err)
		}
		if st.Training.RunID == id && st.Training.Status != "training" && st.Training.Status != "stopping" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for run %d to end", browserTrainingTimeout, id)
		}
	}
}
