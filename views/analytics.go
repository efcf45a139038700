package views

import (
	"github.com/a-h/templ"

	"github.com/fmnist/trainer/fmnist"
)

// AnalyticsView is what a page shows of a run's model analytics: the
// confusion matrix (and what later parts add). The zero value shows nothing.
type AnalyticsView struct {
	Run       int64 // 0: no run, nothing shown
	Confusion ConfusionView
	Warnings  []fmnist.Warning // oldest first
	// Dynamics is the learned-and-forgotten panel (views/analyticsview),
	// given as a component because that package imports this one; nil: none.
	Dynamics templ.Component
}

// WarningMarkers are the warnings as markers on the loss curve.
func (v AnalyticsView) WarningMarkers() []ChartMarker {
	var out []ChartMarker
	for _, w := range v.Warnings {
		out = append(out, ChartMarker{X: w.X, Kind: "warning", Label: "⚠ " + string(w.Kind)})
	}
	return out
}
