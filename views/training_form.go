package views

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/recipeform"
)

// trainingFormFields are the training form's fields in the order it shows
// them.
var trainingFormFields = []string{fmnist.FieldEpochs, fmnist.FieldBatchSize, fmnist.FieldLR, fmnist.FieldTrainLimit}

// TrainingFormValues reads the whole training form, trimmed, through get
// (echo's FormValue, or url.Values.Get for a query). When the
// form's "Load preset" button (or, with JavaScript, the preset select)
// sent it, the fields come back filled from the chosen preset, keeping the
// train limit typed.
func TrainingFormValues(get func(string) string) FormValues {
	v := FormValues{
		Epochs:     strings.TrimSpace(get(fmnist.FieldEpochs)),
		BatchSize:  strings.TrimSpace(get(fmnist.FieldBatchSize)),
		LR:         strings.TrimSpace(get(fmnist.FieldLR)),
		TrainLimit: strings.TrimSpace(get(fmnist.FieldTrainLimit)),
		Recipe:     recipeform.ValuesFrom(get),
		Intent:     get(FieldIntent),
	}
	if v.Intent != IntentPreset {
		return v
	}
	cfg, ok := fmnist.Preset(v.Recipe[fmnist.FieldPreset])
	if !ok {
		return v // Validate names the preset field when the form is sent
	}
	filled := NewFormValues(cfg)
	filled.TrainLimit, filled.Intent = v.TrainLimit, v.Intent
	return filled
}

// Query is v as the query of the page's address, to show the form again
// as typed after a redirect (a refused plain post, see handlers).
func (v FormValues) Query() url.Values {
	q := url.Values{
		fmnist.FieldEpochs: {v.Epochs}, fmnist.FieldBatchSize: {v.BatchSize},
		fmnist.FieldLR: {v.LR}, fmnist.FieldTrainLimit: {v.TrainLimit},
	}
	for name, text := range v.Recipe {
		if text != "" {
			q.Set(name, text)
		}
	}
	return q
}

// Config turns the form's text into a Config, checked on a training set of
// trainSize images (0: not known). An empty field takes the default; an
// empty train limit means all images. Every bad field is reported at once:
// text that is no number, then values out of range.
func (v FormValues) Config(trainSize int) (fmnist.Config, error) {
	var errs fmnist.FieldErrors
	cfg := v.numbers(&errs)
	if err := errs.AddError(v.Recipe.Apply(&cfg)); err != nil {
		return cfg, err
	}
	if err := errs.AddError(cfg.Validate(trainSize)); err != nil {
		return cfg, err
	}
	return cfg, errs.Err()
}

// numbers reads the form's four number fields over the defaults. A field
// that is empty or does not parse keeps its default; one that does not
// parse is reported in errs.
func (v FormValues) numbers(errs *fmnist.FieldErrors) fmnist.Config {
	cfg := fmnist.DefaultConfig()
	cfg.Epochs = formInt(v.Epochs, fmnist.FieldEpochs, cfg.Epochs, errs)
	cfg.BatchSize = formInt(v.BatchSize, fmnist.FieldBatchSize, cfg.BatchSize, errs)
	cfg.TrainLimit = formInt(v.TrainLimit, fmnist.FieldTrainLimit, 0, errs)
	if v.LR != "" {
		if lr, err := strconv.ParseFloat(v.LR, 64); err != nil {
			errs.Add(fmnist.FieldLR, "must be a number such as 0.001")
		} else {
			cfg.LR = lr
		}
	}
	return cfg
}

// formInt reads a whole number, def when text is empty or not a number.
func formInt(text, field string, def int, errs *fmnist.FieldErrors) int {
	if text == "" {
		return def
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		errs.Add(field, "must be a whole number")
		return def
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
