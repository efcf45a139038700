package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConfusionMatrix trains 2 epochs with the dashboard open: the
// heatmap appears at the first epoch's end and steps to the second live;
// the picker goes back to epoch 1; the run page has it too. Without
// JavaScript the server's shaded table shows the same matrix and the picker
// reloads the page at the epoch picked.
func TestBrowserConfusionMatrix(t *testing.T) { browserConfusion(t, true) }

func TestBrowserConfusionMatrixWithoutJavaScript(t *testing.T) { browserConfusion(t, false) }

// browserHeatmapSum is the heatmap's counts summed, -1 without a chart.
const browserHeatmapSum = `(() => {
	const el = document.getElementById('confusion-heatmap');
	const chart = el && window.echarts && echarts.getInstanceByDom(el);
	if (!chart) return -1;
	const o = chart.getOption();
	if (!o.visualMap || !o.visualMap.length) return -2;
	return o.series[0].data.reduce((s, d) => s + (d.value || d)[2], 0);
})()`

// browserTableSum is the no-JS table's counts summed.
const browserTableSum = `[...document.querySelectorAll('#confusion-table tbody td')].reduce((s, td) => s + Number(td.textContent.trim()), 0)`

func browserConfusion(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.navigate(t, origin+"/")
	if b.evalBool(t, "!!document.getElementById('confusion-panel')?.checkVisibility()") {
		t.Error("the dashboard shows a confusion panel before any run")
	}
	browserTrainRuns(t, origin, `{"epochs":2,"train_limit":256,"batch_size":32}`)
	total := strconv.Itoa(browserTestImages)

	if javaScript {
		// The page stayed open: the panel came with the live stream.
		b.waitFor(t, "the live heatmap of epoch 2", browserStepTimeout,
			"document.getElementById('confusion-epoch')?.textContent === '2' && "+browserHeatmapSum+" === "+total)
		b.checkClean(t)
		b.waitFor(t, "the status line to say finished", browserStepTimeout, browserStatusIs("finished"))
		if size := b.eval(t, "(r => r.width + 'x' + r.height)(document.getElementById('confusion-heatmap').getBoundingClientRect())"); size == "0x0" || !b.evalBool(t, "document.getElementById('confusion-heatmap').checkVisibility()") {
			t.Errorf("the heatmap is drawn but not shown (%s)", size)
		}
		if loads := b.pageLoads(); len(loads) != 1 {
			t.Errorf("the page was loaded %d times; the matrix should arrive live", len(loads))
		}
	} else {
		b.navigate(t, origin+"/")
		if b.evalBool(t, "document.getElementById('confusion-heatmap').checkVisibility()") {
			t.Error("without JavaScript the empty heatmap box shows")
		}
	}
	if got := b.evalInt(t, browserTableSum); got != browserTestImages {
		t.Errorf("the matrix table sums to %d, want the %d test images", got, browserTestImages)
	}
	if n := b.evalInt(t, "document.querySelectorAll('#class-scores tbody tr').length"); n != 10 {
		t.Errorf("%d rows of per-class scores, want 10", n)
	}
	b.screenshot(t, "1-dashboard-epoch-2")
	b.checkAccessible(t, "the dashboard with a confusion matrix")

	// Back to epoch 1 with the picker.
	b.do(t, "pick epoch 1", chromedp.SetValue(chromedp.CSS("#confusion-epoch-select"), "1"))
	if javaScript {
		b.eval(t, `String(document.getElementById('confusion-epoch-select').dispatchEvent(new Event('change', {bubbles: true})))`)
		b.waitFor(t, "the heatmap of epoch 1", browserStepTimeout,
			"document.getElementById('confusion-epoch')?.textContent === '1' && "+browserHeatmapSum+" === "+total)
	} else {
		b.click(t, "#confusion-picker button")
		b.waitFor(t, "the page at epoch 1", browserStepTimeout,
			"location.search === '?epoch=1' && document.getElementById('confusion-epoch')?.textContent === '1'")
	}
	if got := b.evalInt(t, browserTableSum); got != browserTestImages {
		t.Errorf("epoch 1's table sums to %d, want %d", got, browserTestImages)
	}
	b.screenshot(t, "2-dashboard-epoch-1")

	b.navigate(t, origin+"/runs/1")
	if javaScript {
		b.waitFor(t, "the run page's heatmap", browserStepTimeout, browserHeatmapSum+" === "+total)
	} else if got := b.evalInt(t, browserTableSum); got != browserTestImages {
		t.Errorf("the run page's table sums to %d, want %d", got, browserTestImages)
	}
	b.screenshot(t, "3-run-page")
	b.checkAccessible(t, "a run page with a confusion matrix")
	b.checkClean(t)
}

// TestBrowserWarningBanner trains at learning rate 10 with the dashboard
// open: the banner says what went wrong, what it means and what to try
// (live with JavaScript; after the refresh without), and the run page has it.
func TestBrowserWarningBanner(t *testing.T) { browserWarningBanner(t, true) }

func TestBrowserWarningBannerWithoutJavaScript(t *testing.T) { browserWarningBanner(t, false) }

func browserWarningBanner(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.navigate(t, origin+"/")
	if b.evalBool(t, "document.getElementById('warnings-banner').checkVisibility()") {
		t.Error("the warnings banner shows before any warning")
	}
	browserTrainRuns(t, origin, `{"epochs":1,"train_limit":512,"batch_size":4,"lr":10}`)
	if !javaScript {
		b.navigate(t, origin+"/")
	}
	shown := "document.getElementById('warnings-banner').checkVisibility() && document.querySelectorAll('#warning-list li').length > 0"
	b.waitFor(t, "the warnings banner", browserStepTimeout, shown)
	text := b.eval(t, "document.getElementById('warnings-banner').textContent")
	if !strings.Contains(text, "Try:") || !strings.Contains(strings.ToLower(text), "learning rate") {
		t.Errorf("the banner %q does not say what to try", strings.Join(strings.Fields(text), " "))
	}
	// The banner keeps the newest warning of each kind; earlier ones fold
	// into a <details>.
	kinds := "new Set([...document.querySelectorAll('#warning-list li')].map(li => li.dataset.kind)).size === document.querySelectorAll('#warning-list li').length"
	if !b.evalBool(t, kinds) {
		t.Errorf("the banner lists a kind twice: %s", b.eval(t, "[...document.querySelectorAll('#warning-list li')].map(li => li.dataset.kind).join(' ')"))
	}
	// Each warning is a marker on the loss curve: in the live chart, or in
	// the SVG the server draws.
	marked := "document.querySelectorAll('#loss-chart-static .warning-marker').length > 0"
	if javaScript {
		marked = browserLossChartJS("return chart.getOption().series.some(s => s.markLine && (s.markLine.data || []).some(d => String(d.name).startsWith('⚠')));")
	}
	b.waitFor(t, "a warning marker on the loss curve", browserStepTimeout, marked)
	b.screenshotsAt(t, "1-dashboard-warning")
	b.checkAccessible(t, "the dashboard with a warning")
	b.navigate(t, origin+"/runs/1")
	b.waitFor(t, "the run page's banner", browserStepTimeout, shown)
	b.screenshotsAt(t, "2-run-page-warning")
	b.checkClean(t)
}
