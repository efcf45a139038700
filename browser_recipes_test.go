package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/fmnist"
)

// The training recipe in the browser, with JavaScript and without: choosing
// the best preset fills the form, editing the schedule redraws its preview,
// the augmentation settings redraw the preview grid, the run starts with
// the recipe, and a learning rate changed mid-run is marked on the curve.
func TestBrowserRecipe(t *testing.T)                  { browserRecipe(t, true) }
func TestBrowserRecipeWithoutJavaScript(t *testing.T) { browserRecipe(t, false) }

func browserRecipe(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.navigate(t, origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"document.getElementById('dataset-panel').textContent.includes('Ready for training') && !document.getElementById('start-button').disabled")

	// Choosing best fills the fields: with JavaScript as the select changes,
	// without it through "Load preset".
	b.do(t, "choose the best preset", chromedp.SetValue(chromedp.CSS("#field-preset"), "best"))
	if javaScript {
		b.eval(t, `String(document.getElementById('field-preset').dispatchEvent(new Event('change', {bubbles: true})))`)
	} else {
		b.click(t, "#load-preset") // the page comes back filled; waitFor polls across the load
	}
	best, _ := fmnist.Preset(fmnist.PresetBest)
	b.waitFor(t, "the form to hold the best recipe", browserStepTimeout, `(() => {
		const v = id => document.getElementById('field-' + id);
		return v('optimizer') && v('optimizer').value === 'adamw' && v('schedule').value === 'onecycle' &&
			v('dense').value === '256' && v('batch_norm').checked && v('flip').checked && v('tta').checked &&
			v('epochs').value === '`+strconv.Itoa(best.Epochs)+`' && document.getElementById('advanced-recipe').open;
	})()`)
	b.stage(t, "1-best-preset")

	// Editing the schedule redraws its preview.
	curve := "document.getElementById('schedule-curve').getAttribute('points')"
	before := b.eval(t, curve)
	b.do(t, "choose a step schedule", chromedp.SetValue(chromedp.CSS("#field-schedule"), "step"),
		chromedp.SetValue(chromedp.CSS("#field-step_factor"), "0.5"), chromedp.SetValue(chromedp.CSS("#field-step_every"), "3"))
	b.applyRecipeEdit(t, javaScript, "schedule")
	b.waitFor(t, "the schedule preview to show the step schedule", browserStepTimeout,
		`document.getElementById('schedule-preview').dataset.schedule === 'step'`)
	if after := b.eval(t, curve); after == before {
		t.Error("the schedule preview did not change with the schedule")
	}
	if label := b.eval(t, "document.querySelector('#schedule-preview svg').getAttribute('aria-label')"); !strings.Contains(label, fmt.Sprintf("step schedule over %d epochs", best.Epochs)) {
		t.Errorf("the schedule preview says %q", label)
	}
	b.stage(t, "2-schedule-preview")

	// The augmentation preview follows its settings.
	b.do(t, "set the augmentation", chromedp.SetValue(chromedp.CSS("#field-crop"), "4"), chromedp.SetValue(chromedp.CSS("#field-erase"), "1"))
	b.applyRecipeEdit(t, javaScript, "erase")
	b.waitFor(t, "the augmentation preview with crop 4 and erasing", browserStepTimeout, `(() => {
		const img = document.getElementById('augment-image');
		if (img) img.scrollIntoView();
		return !!img && img.src.includes('crop=4') && img.src.includes('erase=1') && img.src.includes('flip=on') &&
			img.complete && img.naturalWidth === 230 && img.naturalHeight === 230;
	})()`)
	b.stage(t, "3-augmentation-preview")

	// Start the run: long enough to change its learning rate mid-run.
	b.do(t, "lengthen the run", chromedp.SetValue(chromedp.CSS("#field-epochs"), "100"),
		chromedp.SetValue(chromedp.CSS("#field-train_limit"), browserTrainLimit), chromedp.SetValue(chromedp.CSS("#field-time_limit"), "0"))
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	b.waitFor(t, "the live learning-rate control", browserStepTimeout, "!!document.getElementById('live-lr')")
	if !javaScript {
		b.waitForLoad(t, "an automatic refresh") // so the next one cannot replace the page under the click
	}
	b.do(t, "ask for a learning rate of 0.0002", chromedp.SetValue(chromedp.CSS("#live-lr"), "0.0002"))
	b.click(t, "#lr-button")
	if javaScript {
		b.waitFor(t, "the control to confirm", browserStepTimeout, "document.getElementById('lr-status').textContent.includes('0.0002')")
		b.waitFor(t, "the marker on the live chart", browserTrainingTimeout, `(() => {
			const chart = echarts.getInstanceByDom(document.getElementById('loss-chart'));
			return chart.getOption().series.some(s => s.markLine && (s.markLine.data || []).some(d => d.name === 'LR → 0.0002'));
		})()`)
		b.waitFor(t, "the learning rate drawn as a second series", browserTrainingTimeout, `(() => {
			const o = echarts.getInstanceByDom(document.getElementById('loss-chart')).getOption();
			return o.series.some(s => s.name === 'learning rate' && s.data.some(p => Math.abs((p.value || p)[1] - 0.0002) < 1e-9));
		})()`)
	} else {
		b.waitFor(t, "the marker on the refreshed page's chart", browserTrainingTimeout,
			"Array.from(document.querySelectorAll('#loss-chart-static .lr-marker text')).some(e => e.textContent === 'LR → 0.0002') && !!document.querySelector('#loss-chart-static path.lr')")
	}
	if javaScript {
		b.waitFor(t, "the change in the log", browserTrainingTimeout,
			"document.getElementById('log-list').textContent.includes('Learning rate changed to 0.0002')")
	} else {
		// The dashboard shows the last 50 lines, which a fast run has
		// scrolled past by the next refresh: read the run's whole log.
		if !runLogHas(t, origin, 1, "Learning rate changed to 0.0002") {
			t.Error("the run's log has no line about the learning-rate change")
		}
		b.waitForLoad(t, "an automatic refresh") // the stage's checks read a whole page
	}
	b.stage(t, "4-lr-changed")

	if !javaScript {
		b.waitForLoad(t, "the next automatic refresh")
	}
	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))
	b.stage(t, "5-stopped")
	b.checkClean(t)
}

// applyRecipeEdit makes the page take an edit of the recipe fields: with
// JavaScript a change event on the field (htmx asks for the previews),
// without it the Preview button, which shows the form again as typed.
func (b *browserSession) applyRecipeEdit(t *testing.T, javaScript bool, field string) {
	t.Helper()
	if javaScript {
		b.eval(t, `String(document.getElementById('field-`+field+`').dispatchEvent(new Event('change', {bubbles: true})))`)
		return
	}
	b.click(t, "#preview-button") // the caller's waitFor polls across the page load
}

// runLogHas reports whether run's log, read page by page from its run page,
// has a line containing text.
func runLogHas(t *testing.T, origin string, run int, text string) bool {
	t.Helper()
	for page := 1; page <= 100; page++ {
		resp, err := http.Get(fmt.Sprintf("%s/runs/%d?page=%d", origin, run, page))
		if err != nil {
			t.Fatalf("read the run's log: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		if strings.Contains(string(body), text) {
			return true
		}
		if !strings.Contains(string(body), fmt.Sprintf("page=%d", page+1)) {
			return false // the last page
		}
	}
	return false
}
