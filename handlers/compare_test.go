package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCompareOverlaysRunsAndHighlightsConfig(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	first := a.startTraining(`{"epochs":2,"train_limit":256,"lr":0.01}`)
	a.waitRunEnded(first, time.Minute)
	second := a.startTraining(`{"epochs":2,"train_limit":256,"lr":0.001}`)
	a.waitRunEnded(second, time.Minute)

	// As the runs page's checkboxes send them, and as a script writes them.
	for _, query := range []string{"ids=1&ids=2", "ids=1,2"} {
		r := a.get("/runs/compare?" + query)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /runs/compare?%s: %d\n%s", query, r.Status, r.Body)
		}
		for _, want := range []string{
			`id="compare-chart"`, `legend&#34;:{&#34;show&#34;:true`, `run 1`, `run 2`, // overlaid, legend
			`id="compare-chart-static"`, `data-series="run 1"`, `data-series="run 2"`, // and as SVG
			`stroke="#2563eb"`, `stroke="#dc2626"`, // one colour per run
			`id="config-table"`, `id="compare-epochs-table"`,
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("GET /runs/compare?%s lacks %q", query, want)
			}
		}
		differ := strings.Count(r.Body, `data-differ="true"`)
		if differ != 1 || !strings.Contains(r.Body, "<td class=\"px-2 py-1\">0.01</td>") {
			t.Errorf("want exactly the learning rate highlighted, got %d differing rows", differ)
		}
	}
	for query, status := range map[string]int{"": 422, "ids=x": 422, "ids=1,99": 404} {
		if r := a.get("/runs/compare?" + query); r.Status != status {
			t.Errorf("GET /runs/compare?%s: %d; want %d", query, r.Status, status)
		}
	}
}
