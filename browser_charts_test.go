package main

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/views"
)

// browserLossChartJS evaluates body with chart, the dashboard's loss chart.
func browserLossChartJS(body string) string {
	return `(() => { const chart = echarts.getInstanceByDom(document.getElementById('loss-chart')); if (!chart) return false; ` + body + ` })()`
}

// TestBrowserChartControls smooths and zooms the dashboard's loss chart
// while a run trains: the zoom window holds as points arrive, the smoothed
// curve grows over the faded raw one, the settings outlive a reload, and
// "follow" brings the newest points into view.
func TestBrowserChartControls(t *testing.T) {
	b, origin := startBrowserTest(t, true)
	browserTrainRuns(t, origin) // the dataset only
	browserStartTraining(t, origin, `{"epochs":100,"train_limit":1024,"batch_size":32}`)

	b.navigate(t, origin+"/")
	b.waitFor(t, "the loss chart to be drawn", browserStepTimeout, browserChartReadyJS)

	// The browser's smoothing is the server's, number for number.
	raw := []float64{2, 1, 4, 3, 0.5, 0.25, 7}
	in, _ := json.Marshal(raw)
	var got []float64
	if err := json.Unmarshal([]byte(b.eval(t, "JSON.stringify(fmnistCharts.smoothEMA("+string(in)+", 0.6))")), &got); err != nil {
		t.Fatal(err)
	}
	want := views.SmoothEMA(raw, 0.6)
	if len(got) != len(want) || got[0] != raw[0] {
		t.Fatalf("smoothEMA in the browser gives %v, want %v starting at the raw %v", got, want, raw[0])
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("smoothEMA[%d]: browser %v, Go %v", i, got[i], want[i])
		}
	}

	b.waitFor(t, "40 points in the chart", browserTrainingTimeout,
		browserLossChartJS(`return chart.getOption().series[0].data.length >= 40;`))
	// Smoothing 0.8 with the slider, follow off, then zoom in on the middle.
	b.eval(t, `(() => {
		const s = document.getElementById('loss-chart-smooth');
		s.value = '0.8'; s.dispatchEvent(new Event('input'));
		const f = document.getElementById('loss-chart-follow');
		if (f.checked) f.click();
		return '';
	})()`)
	b.eval(t, browserLossChartJS(`chart.dispatchAction({type: 'dataZoom', start: 30, end: 60}); return '';`))
	b.waitFor(t, "the smoothed curve over the faded raw one", browserStepTimeout, browserLossChartJS(`
		const s = chart.getOption().series.filter(x => x.name !== 'learning rate'); // the rate is not smoothed
		return s.length === 2 && s[0].lineStyle.opacity < 0.5 && s[1].data.length === s[0].data.length &&
			s[1].data.some((p, i) => Math.abs(p[1] - s[0].data[i][1]) > 1e-6);`))
	zoomWindow := b.eval(t, browserLossChartJS(`return JSON.stringify(chart.getModel().getComponent('dataZoom', 0).getValueRange());`))
	// Zoomed in, the page asks the server for every point of the window.
	if deadline := time.Now().Add(browserStepTimeout); !b.askedFor(deadline, "/api/runs/", "?from=", "&to=") {
		t.Error("zooming in did not ask the server for the window's points (GET /api/runs/{id}?from=&to=)")
	}
	count := b.evalInt(t, browserLossChartJS(`return chart.getOption().series[0].data.length;`))
	b.screenshot(t, "1-zoomed")

	b.waitFor(t, "20 more points", browserTrainingTimeout,
		browserLossChartJS(`return chart.getOption().series[0].data.length >= `+strconv.Itoa(count+20)+`;`))
	if after := b.eval(t, browserLossChartJS(`return JSON.stringify(chart.getModel().getComponent('dataZoom', 0).getValueRange());`)); after != zoomWindow {
		t.Errorf("the zoom window moved from %s to %s while points arrived", zoomWindow, after)
	}
	if !b.evalBool(t, browserLossChartJS(`const s = chart.getOption().series; return s[1].data.length === s[0].data.length;`)) {
		t.Error("the smoothed curve did not grow with the raw one")
	}
	b.screenshot(t, "2-still-zoomed")

	// An epoch's end is a marker labelled with its accuracy.
	b.waitFor(t, "an epoch marker", browserTrainingTimeout, browserLossChartJS(`
		const s = chart.getOption().series.filter(x => x.name !== 'learning rate'), m = s[s.length - 1].markLine;
		return !!m && m.data.length > 0 && /epoch \d+ · \d+\.\d%/.test(m.data[0].name);`))

	// The settings outlive a reload; log-scale y, then follow.
	b.navigate(t, origin+"/")
	b.waitFor(t, "the loss chart to be drawn", browserStepTimeout, browserChartReadyJS)
	if got := b.eval(t, `document.getElementById('loss-chart-smooth').value + ' ' + document.getElementById('loss-chart-follow').checked`); got != "0.8 false" {
		t.Errorf("after a reload smoothing and follow are %q, want 0.8 false", got)
	}
	b.click(t, "#loss-chart-log")
	b.waitFor(t, "a log-scale y axis", browserStepTimeout, browserLossChartJS(`return chart.getOption().yAxis[0].type === 'log';`))
	b.eval(t, browserLossChartJS(`chart.dispatchAction({type: 'dataZoom', start: 10, end: 40}); return '';`))
	b.click(t, "#loss-chart-follow")
	b.waitFor(t, "follow to keep the newest point in view", browserTrainingTimeout, browserLossChartJS(`
		const d = chart.getOption().series[0].data, r = chart.getModel().getComponent('dataZoom', 0).getValueRange();
		return d.length > 0 && r[1] >= d[d.length - 1][0] - 1e-9 && r[0] > d[0][0];`))
	b.screenshot(t, "3-log-follow")
	b.checkClean(t)
}

// TestBrowserChartControlsWithoutJavaScript: ?smooth= has the server draw
// the smoothed curve over the faded raw one, on a run's page, the dashboard
// and a comparison.
func TestBrowserChartControlsWithoutJavaScript(t *testing.T) {
	b, origin := startBrowserTest(t, false)
	browserTrainRuns(t, origin, `{"epochs":1,"train_limit":1024,"batch_size":32}`)

	for _, page := range []struct{ path, svg string }{
		{"/runs/1?smooth=0.8", "#loss-chart-static"},
		{"/?smooth=0.8", "#loss-chart-static"},
		{"/runs/compare?ids=1&smooth=0.8", "#compare-chart-static"},
	} {
		b.navigate(t, origin+page.path)
		curves := b.eval(t, `(() => {
			const svg = document.querySelector('`+page.svg+`');
			const raw = svg && svg.querySelector('.raw'), smooth = raw && raw.nextElementSibling;
			const shape = el => el.getAttribute('points') || el.getAttribute('d'); // a polyline, or the loss chart's path
			if (!raw || raw.getBoundingClientRect().width < 100) return 'no faded raw curve';
			return shape(raw) === shape(smooth) ? 'the same curve twice' :
				raw.getAttribute('stroke-opacity') + ' ' + (shape(smooth).split(' ').length > 10);
		})()`)
		if curves != "0.25 true" {
			t.Errorf("%s: %s, want a faded raw curve under a different smoothed one", page.path, curves)
		}
		if v := b.eval(t, `(document.querySelector('form.smooth-form input[name=smooth]') || {}).value || ''`); v != "0.8" {
			t.Errorf("%s: the smoothing form shows %q, want 0.8", page.path, v)
		}
	}
	b.screenshot(t, "1-compare-smoothed")
	b.navigate(t, origin+"/runs/1")
	if n := b.evalInt(t, "document.querySelectorAll('.raw').length"); n != 0 {
		t.Errorf("without ?smooth= the page draws %d faded curves", n)
	}
	b.checkClean(t)
}

// askedFor waits until deadline for the page to request a URL that holds
// every one of parts, and says whether it did.
func (b *browserSession) askedFor(deadline time.Time, parts ...string) bool {
	for {
		b.mu.Lock()
		for _, req := range b.requests {
			found := true
			for _, p := range parts {
				found = found && strings.Contains(req.url, p)
			}
			if found {
				b.mu.Unlock()
				return true
			}
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
