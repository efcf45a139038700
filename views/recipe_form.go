package views

import (
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
	cfg, err := v.previewConfig()
	return recipeform.SchedulePreviewOf(cfg, err, available)
}

func formatLR(lr float64) string { return recipeform.FormatLR(lr) }

// previewConfig is the form's configuration as far as it parses: fields
// that do not parse keep the default, for the previews (the form is
// checked strictly, by Config, when it is sent).
func (v FormValues) previewConfig() (fmnist.Config, error) {
	cfg := v.numbers(new(fmnist.FieldErrors))
	if err := v.Recipe.Apply(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(0)
}
