package handlers_test

import (
	"html"
	"strings"
	"testing"
	"time"
)

// TestPagesSmoothAndMarkTheirCurves: ?smooth= has the server draw every
// chart's SVG smoothed over the faded raw curve (JS off), and a run's loss
// chart carries its epoch ends and checkpoints as markers for app.js.
func TestPagesSmoothAndMarkTheirCurves(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	id := a.startTraining(`{"epochs":2,"train_limit":256,"batch_size":32}`)
	a.waitRunEnded(id, time.Minute)

	for _, path := range []string{"/runs/" + itoa(id), "/", "/runs/compare?ids=" + itoa(id)} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		plain, smoothed := a.get(path), a.get(path+sep+"smooth=0.8")
		if strings.Contains(plain.Body, `class="raw"`) {
			t.Errorf("GET %s draws a faded raw curve without ?smooth=", path)
		}
		if !strings.Contains(smoothed.Body, `class="raw"`) || !strings.Contains(smoothed.Body, `name="smooth"`) ||
			!strings.Contains(smoothed.Body, `value="0.8"`) {
			t.Errorf("GET %s?smooth=0.8 lacks the faded raw curve or the smoothing form", path)
		}
	}
	if r := a.get("/runs/compare?ids=" + itoa(id) + "&smooth=0.5"); !strings.Contains(r.Body, `<input type="hidden" name="ids" value="`+itoa(id)+`">`) {
		t.Errorf("the comparison's smoothing form does not keep its runs")
	}
	body := html.UnescapeString(a.get("/runs/" + itoa(id)).Body)
	for _, want := range []string{`"label":"epoch 1 · `, `% · saved","kind":"epoch"`, `"x":2,`} {
		if !strings.Contains(body, want) {
			t.Errorf("the run's loss chart markers lack %q", want)
		}
	}
}
