package recipeform

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
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
	PreviewWidth  = 240
	PreviewHeight = 64
	previewSteps  = 120
)

// FashionMNISTTrainImages is the size of the Fashion-MNIST training set,
// for the preview before the dataset is prepared.
const FashionMNISTTrainImages = 60000

// SchedulePreviewOf draws the schedule of cfg (the form's values, or err
// if they do not validate) on a training set of available images (0:
// Fashion-MNIST's).
func SchedulePreviewOf(cfg fmnist.Config, err error, available int) ScheduleView {
	if available <= 0 {
		available = FashionMNISTTrainImages
	}
	if err != nil {
		return ScheduleView{Problem: "No preview: " + err.Error()}
	}
	batches := max(cfg.BatchesPerEpoch(available), 1)
	total := cfg.Epochs * batches
	lrs := make([]float64, previewSteps+1)
	top := 0.0
	for i := range lrs {
		lrs[i] = cfg.LearningRate(i*(total-1)/previewSteps, batches)
		top = max(top, lrs[i])
	}
	var pts strings.Builder
	for i, lr := range lrs {
		x := float64(i) * PreviewWidth / previewSteps
		y := PreviewHeight * (1 - lr/top)
		fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
	}
	r := cfg.Recipe.Filled()
	return ScheduleView{
		Points: strings.TrimSpace(pts.String()), Epochs: cfg.Epochs, MaxLR: FormatLR(top), Schedule: r.Schedule,
		Summary: fmt.Sprintf("%s schedule over %d epochs: learning rate %s at the start, %s at most, %s at the end",
			r.Schedule, cfg.Epochs, FormatLR(lrs[0]), FormatLR(top), FormatLR(lrs[len(lrs)-1])),
	}
}

// FormatLR writes a learning rate short: 0.001, 4e-05.
func FormatLR(lr float64) string { return strconv.FormatFloat(lr, 'g', 3, 64) }
