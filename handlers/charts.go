package handlers

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// What the pages' charts share: ?smooth= for the server-drawn SVG (JS off)
// and the markers on a run's loss curve.

// smoothParam is the page's ?smooth= weight, clamped to [0, 0.99]. A page
// is not refused for a bad value: it draws the raw curve instead.
func smoothParam(c echo.Context) float64 {
	w, err := strconv.ParseFloat(c.QueryParam("smooth"), 64)
	if err != nil {
		return 0
	}
	return views.ClampSmoothing(w)
}

// runMarkers are the epoch ends (labelled with their test accuracy) and the
// resumes of a run, as vertical lines on its loss curve.
func runMarkers(epochs []fmnist.EpochResult, resumes []fmnist.Resume) []views.ChartMarker {
	out := make([]views.ChartMarker, 0, len(epochs)+len(resumes))
	for _, e := range epochs {
		out = append(out, views.ChartMarker{X: float64(e.Epoch), Kind: "epoch",
			Label: fmt.Sprintf("epoch %d · %.1f%%", e.Epoch, 100*e.TestAccuracy)})
	}
	for _, r := range resumes {
		out = append(out, views.ChartMarker{X: r.X, Kind: "resume", Label: "resumed"})
	}
	return out
}
