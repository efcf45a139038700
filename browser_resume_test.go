package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestBrowserResume stops a run, presses Resume and checks that the curve
// continues on the same chart: with JavaScript the live chart grows in
// place (no page load); without it the server's SVG does after the post.
func TestBrowserResume(t *testing.T) { browserResume(t, true) }

func TestBrowserResumeWithoutJavaScript(t *testing.T) { browserResume(t, false) }

// browserCurveJS is the curve as the page draws it: the live chart's points
// with JavaScript, or the ends of the static SVG's path segments without
// ("Mx y Cx y x y x y …"), as [x, y] pairs (epochs and loss, or pixels).
const browserCurveJS = `(() => {
	const el = document.getElementById('loss-chart');
	const chart = el && window.echarts && echarts.getInstanceByDom(el);
	if (chart) return chart.getOption().series[0].data.map(d => [Number(d[0]), Number(d[1])]);
	const path = document.querySelector('#loss-chart-static path.curve');
	if (!path) return [];
	return path.getAttribute('d').trim().split(/\s*[MC]\s*/).filter(s => s).map(s => s.split(/\s+/).map(Number).slice(-2));
})()`

func browserResume(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.navigate(t, origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"document.getElementById('dataset-panel').textContent.includes('Ready for training') && !document.getElementById('start-button').disabled")
	if b.evalBool(t, "!!document.getElementById('resume-button')") {
		t.Fatal("a Resume button before any run")
	}

	b.fillTrainingForm(t)
	b.click(t, "#start-button")
	b.waitFor(t, "a few points of the curve", browserTrainingTimeout, browserCurveJS+".length >= 3")
	if !javaScript {
		b.waitForLoad(t, "the next automatic refresh")
	}
	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))
	if !javaScript {
		// The page stops refreshing once the run has stopped; load the
		// final curve.
		b.navigate(t, origin+"/")
	}
	b.waitFor(t, "the Resume button", browserStepTimeout,
		"!!document.getElementById('resume-button') && !document.getElementById('start-button').disabled")
	before := browserEval[[][2]float64](t, b, browserCurveJS)
	b.stage(t, "1-stopped")

	b.click(t, "#resume-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	b.waitFor(t, "the curve to grow after the resume", browserTrainingTimeout,
		fmt.Sprintf("%s.length >= %d", browserCurveJS, len(before)+3))
	after := browserEval[[][2]float64](t, b, browserCurveJS)
	b.stage(t, "2-resumed")
	if b.evalBool(t, "!!document.getElementById('resume-button')") {
		t.Error("the Resume button is still shown while the run trains")
	}
	if javaScript {
		// The same chart: the old points stay, the new ones follow them.
		for i, p := range before {
			if after[i] != p {
				t.Fatalf("point %d changed from %v to %v: the chart was redrawn, not continued", i, p, after[i])
			}
		}
		for i := len(before); i < len(after); i++ {
			if after[i][0] <= after[i-1][0] {
				t.Errorf("point %d at epoch %v does not follow %v", i, after[i][0], after[i-1][0])
			}
		}
		if loads := b.pageLoads(); len(loads) != 1 {
			t.Errorf("the page was loaded %d times (%s), want once", len(loads), strings.Join(loads, ", "))
		}
	}
	if javaScript {
		// (Without JavaScript the page shows only the newest lines, and
		// this run writes dozens a second.)
		b.waitFor(t, "the log to say where the run resumed", browserStepTimeout,
			"document.getElementById('log-panel').textContent.includes('Training resumed from run-1-')")
	}
	// The run goes on (or has finished); the server stops it at the end.
	b.checkClean(t)
}
