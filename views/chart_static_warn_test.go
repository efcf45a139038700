package views

import (
	"context"
	"math"
	"strings"
	"testing"
)

// Without JavaScript every warning is a marker on the loss curve, labelled
// at its foot; at the right edge (overfitting, at the last epoch's end) the
// label runs leftwards instead of off the chart.
func TestStaticLossChartMarksWarnings(t *testing.T) {
	points := []LossPoint{{Epoch: 0.5, Loss: 2}, {Epoch: 1, Loss: 1}, {Epoch: 2, Loss: 0.5}}
	markers := []ChartMarker{{X: 0.5, Kind: "warning", Label: "⚠ dead-units"}, {X: 2, Kind: "warning", Label: "⚠ overfitting"},
		{X: 2, Kind: "epoch", Label: "epoch 2"}}
	var html strings.Builder
	if err := staticLossChart(points, 0, markers).Render(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	if n := strings.Count(out, `class="warning-marker"`); n != 2 {
		t.Fatalf("%d warning markers, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, `text-anchor="start" font-size="10" fill="#b91c1c">⚠ dead-units</text>`) ||
		!strings.Contains(out, `text-anchor="end" font-size="10" fill="#b91c1c">⚠ overfitting</text>`) {
		t.Errorf("the left label should start at its line and the right-edge one end there:\n%s", out)
	}
}

// Crowded warnings keep every line and tooltip, but draw only the labels
// that do not overlap the one before.
func TestStaticLossChartSpacesWarningLabels(t *testing.T) {
	points := []LossPoint{{Epoch: 0, Loss: 2}, {Epoch: 10, Loss: 0.5}}
	var markers []ChartMarker
	for i := range 20 { // one every half epoch: 27 units apart, a label is about 60
		markers = append(markers, ChartMarker{X: float64(i) / 2, Kind: "warning", Label: "⚠ grad-spike"})
	}
	c := newStaticChart(points, 0).withLR(points, markers)
	if len(c.WarnMarkers) != 20 {
		t.Fatalf("%d markers, want all 20", len(c.WarnMarkers))
	}
	labelled, end := 0, math.Inf(-1)
	for _, m := range c.WarnMarkers {
		if m.Title != "⚠ grad-spike" {
			t.Errorf("marker at %.1f has title %q", m.Pos, m.Title)
		}
		if m.Label == "" {
			continue
		}
		labelled++
		if m.Pos+3 < end {
			t.Errorf("the label at %.1f starts before the previous one ends (%.1f)", m.Pos, end)
		}
		end = m.Pos + 3 + markerCharWidth*float64(len([]rune(m.Label)))
	}
	if labelled < 5 || labelled > 10 {
		t.Errorf("%d of 20 crowded labels drawn, want every second to fourth one", labelled)
	}
}
