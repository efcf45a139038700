package views

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

// trainingFormFields are the training form's fields in the order it shows
// them.
var trainingFormFields = []string{fmnist.FieldEpochs, fmnist.FieldBatchSize, fmnist.FieldLR, fmnist.FieldTrainLimit}

// TrainingFormValues reads the training form's fields, trimmed, with get
// (echo's FormValue, or url.Values.Get for a query).
func TrainingFormValues(get func(name string) string) FormValues {
	return FormValues{
		Epochs:     strings.TrimSpace(get(fmnist.FieldEpochs)),
		BatchSize:  strings.TrimSpace(get(fmnist.FieldBatchSize)),
		LR:         strings.TrimSpace(get(fmnist.FieldLR)),
		TrainLimit: strings.TrimSpace(get(fmnist.FieldTrainLimit)),
	}
}

// Query is v as the query of the page's address, to show the form again
// as typed after a redirect (a refused plain post, see handlers).
func (v FormValues) Query() url.Values {
	return url.Values{
		fmnist.FieldEpochs: {v.Epochs}, fmnist.FieldBatchSize: {v.BatchSize},
		fmnist.FieldLR: {v.LR}, fmnist.FieldTrainLimit: {v.TrainLimit},
	}
}

// Config turns the form's text into a Config, checked on a training set of
// trainSize images (0: not known). An empty field takes the default; an
// empty train limit means all images. Every bad field is reported at once:
// text that is no number, then values out of range.
func (v FormValues) Config(trainSize int) (fmnist.Config, error) {
	cfg := fmnist.DefaultConfig()
	var errs fmnist.FieldErrors
	cfg.Epochs = formInt(v.Epochs, fmnist.FieldEpochs, cfg.Epochs, &errs)
	cfg.BatchSize = formInt(v.BatchSize, fmnist.FieldBatchSize, cfg.BatchSize, &errs)
	if v.LR != "" {
		lr, err := strconv.ParseFloat(v.LR, 64)
		if err != nil {
			errs.Add(fmnist.FieldLR, "must be a number such as 0.001")
		}
		cfg.LR = lr
	}
	cfg.TrainLimit = formInt(v.TrainLimit, fmnist.FieldTrainLimit, 0, &errs)
	if err := errs.AddError(cfg.Validate(trainSize)); err != nil {
		return cfg, err
	}
	return cfg, errs.Err()
}

// formInt reads a whole number, def when text is empty.
func formInt(text, field string, def int, errs *fmnist.FieldErrors) int {
	if text == "" {
		return def
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		errs.Add(field, "must be a whole number")
	}
	return n
}

// focus reports whether field is the form's first bad field, which takes
// the focus when the form is shown again.
func (c ControlsView) focus(field string) bool {
	for _, f := range trainingFormFields {
		if c.Errors[f] != "" {
			return f == field
		}
	}
	return false
}
