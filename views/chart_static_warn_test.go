package views

import (
	"context"
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
	first, last := strings.Index(out, "⚠ dead-units"), strings.Index(out, "⚠ overfitting")
	if !strings.Contains(out[:first], `text-anchor="start"`) || !strings.Contains(out[first:last], `text-anchor="end"`) {
		t.Errorf("the left label should start at its line and the right-edge one end there:\n%s", out)
	}
}
