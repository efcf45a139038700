package views

import (
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/recipeform"
)

// The recipe fields of the training form live in views/recipeform; these
// names keep the templates short.
type RecipeValues = recipeform.Values

// The intents of the form's secondary buttons.
const (
	FieldIntent   = recipeform.FieldIntent
	IntentPreset  = recipeform.IntentPreset
	IntentPreview = recipeform.IntentPreview
)

// The preview routes.
const (
	AugmentPreviewPath = recipeform.AugmentPreviewPath
	RecipePreviewPath  = recipeform.RecipePreviewPath
)

// SchedulePreviewOf draws the schedule of the form's values on a training
// set of available images (0: Fashion-MNIST's).
func SchedulePreviewOf(v FormValues, available int) recipeform.ScheduleView {
	cfg, err := v.Config()
	return recipeform.SchedulePreviewOf(cfg, err, available)
}

func formatLR(lr float64) string { return recipeform.FormatLR(lr) }

// FormValuesFrom reads the whole training form through get. When the
// form's "Load preset" button (or, with JavaScript, the preset select)
// sent it, the fields come back filled from the chosen preset, keeping the
// train limit typed.
func FormValuesFrom(get func(string) string) FormValues {
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

// Config is the form's configuration as far as it parses: fields that do
// not parse keep the default, for the previews (the form is checked
// strictly when it is sent).
func (v FormValues) Config() (fmnist.Config, error) {
	cfg := fmnist.DefaultConfig()
	if n, err := strconv.Atoi(v.Epochs); err == nil {
		cfg.Epochs = n
	}
	if n, err := strconv.Atoi(v.BatchSize); err == nil {
		cfg.BatchSize = n
	}
	if x, err := strconv.ParseFloat(v.LR, 64); err == nil {
		cfg.LR = x
	}
	if n, err := strconv.Atoi(v.TrainLimit); err == nil {
		cfg.TrainLimit = n
	}
	if err := v.Recipe.Apply(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(0)
}
