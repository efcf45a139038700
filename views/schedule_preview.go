package views

import (
	"fmt"
	"strconv"
	"strings"
)

// ScheduleView is the form's preview of the learning rate over a run,
// drawn by the server as an SVG polyline from fmnist's schedule function
// (the one the trainer calls each batch).
type ScheduleView struct {
	Points   string // the polyline's points in the viewBox
	Epochs   int
	MaxLR    string // the top of the y axis
	Summary  string // the curve in words, for screen readers and the caption
	Problem  string // why there is no curve: a field does not parse or is out of range
	Schedule string
}

// The preview's viewBox.
const (
	schedulePreviewWidth  = 240
	schedulePreviewHeight = 64
	schedulePreviewSteps  = 120
)

// FashionMNISTTrainImages is the size of the Fashion-MNIST training set,
// for the preview before the dataset is prepared.
const FashionMNISTTrainImages = 60000

// SchedulePreviewOf draws the schedule of the form's values on a training
// set of available images (0: Fashion-MNIST's).
func SchedulePreviewOf(v FormValues, available int) ScheduleView {
	if available <= 0 {
		available = FashionMNISTTrainImages
	}
	cfg, err := v.Config()
	if err != nil {
		return ScheduleView{Problem: "No preview: " + err.Error()}
	}
	batches := max(cfg.BatchesPerEpoch(available), 1)
	total := cfg.Epochs * batches
	lrs := make([]float64, schedulePreviewSteps+1)
	top := 0.0
	for i := range lrs {
		lrs[i] = cfg.LearningRate(i*(total-1)/schedulePreviewSteps, batches)
		top = max(top, lrs[i])
	}
	var pts strings.Builder
	for i, lr := range lrs {
		x := float64(i) * schedulePreviewWidth / schedulePreviewSteps
		y := schedulePreviewHeight * (1 - lr/top)
		fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
	}
	r := cfg.Recipe.Filled()
	return ScheduleView{
		Points: strings.TrimSpace(pts.String()), Epochs: cfg.Epochs, MaxLR: formatLR(top), Schedule: r.Schedule,
		Summary: fmt.Sprintf("%s schedule over %d epochs: learning rate %s at the start, %s at most, %s at the end",
			r.Schedule, cfg.Epochs, formatLR(lrs[0]), formatLR(top), formatLR(lrs[len(lrs)-1])),
	}
}

// formatLR writes a learning rate short: 0.001, 4e-05.
func formatLR(lr float64) string { return strconv.FormatFloat(lr, 'g', 3, 64) }
