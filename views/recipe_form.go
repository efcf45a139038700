package views

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

// The recipe part of the training form. Its fields carry fmnist.Recipe's
// JSON names, so one table drives the inputs, the parsing and the preview
// queries; a value travels as the text the user typed.

// fieldKind is how a recipe field is typed in and parsed.
type fieldKind int

const (
	kindInt fieldKind = iota
	kindFloat
	kindBool   // a checkbox: "on" when ticked
	kindChoice // a select of Options
)

// RecipeField is one input of the recipe form.
type RecipeField struct {
	Name, Label, Hint string
	Kind              fieldKind
	Options           []string
}

// RecipeGroup is a fieldset of the "Advanced recipe" section.
type RecipeGroup struct {
	ID, Legend string
	Fields     []RecipeField
}

// RecipeGroups are the recipe's fields as the form groups them.
var RecipeGroups = []RecipeGroup{
	{ID: "model", Legend: "Model", Fields: []RecipeField{
		{Name: fmnist.FieldConv1, Label: "Conv 1 width", Hint: "channels", Kind: kindInt},
		{Name: fmnist.FieldConv2, Label: "Conv 2 width", Hint: "channels", Kind: kindInt},
		{Name: fmnist.FieldDense, Label: "Dense width", Hint: "units", Kind: kindInt},
		{Name: fmnist.FieldDropout, Label: "Dropout", Hint: fmt.Sprintf("0 to %g", fmnist.MaxDropout), Kind: kindFloat},
		{Name: fmnist.FieldBatchNorm, Label: "Batch norm", Kind: kindBool},
	}},
	{ID: "schedule", Legend: "Learning-rate schedule", Fields: []RecipeField{
		{Name: fmnist.FieldSchedule, Label: "Schedule", Kind: kindChoice, Options: fmnist.Schedules},
		{Name: fmnist.FieldStepFactor, Label: "Step factor", Hint: "step", Kind: kindFloat},
		{Name: fmnist.FieldStepEvery, Label: "Step every", Hint: "epochs, step", Kind: kindInt},
		{Name: fmnist.FieldWarmup, Label: "Warm-up", Hint: "fraction, onecycle", Kind: kindFloat},
		{Name: fmnist.FieldPeakLR, Label: "Peak LR", Hint: "onecycle", Kind: kindFloat},
		{Name: fmnist.FieldFinalLR, Label: "Final LR", Hint: "cosine, onecycle", Kind: kindFloat},
	}},
	{ID: "optimizer", Legend: "Optimiser", Fields: []RecipeField{
		{Name: fmnist.FieldOptimizer, Label: "Optimiser", Kind: kindChoice, Options: fmnist.Optimizers},
		{Name: fmnist.FieldWeightDecay, Label: "Weight decay", Hint: "0 to 0.1", Kind: kindFloat},
		{Name: fmnist.FieldMomentum, Label: "Momentum", Hint: "sgd", Kind: kindFloat},
	}},
	{ID: "augment", Legend: "Augmentation", Fields: []RecipeField{
		{Name: fmnist.FieldCrop, Label: "Random crop", Hint: fmt.Sprintf("padding px, 0 off, up to %d", fmnist.MaxCrop), Kind: kindInt},
		{Name: fmnist.FieldErase, Label: "Random erasing", Hint: "probability, 0 off", Kind: kindFloat},
		{Name: fmnist.FieldFlip, Label: "Horizontal flip", Kind: kindBool},
	}},
	{ID: "evaluation", Legend: "Loss and evaluation", Fields: []RecipeField{
		{Name: fmnist.FieldLabelSmoothing, Label: "Label smoothing", Hint: fmt.Sprintf("0 to %g", fmnist.MaxLabelSmoothing), Kind: kindFloat},
		{Name: fmnist.FieldVal, Label: "Validation images", Hint: "held out, 0 none", Kind: kindInt},
		{Name: fmnist.FieldTimeLimit, Label: "Time limit", Hint: "seconds, 0 none", Kind: kindInt},
		{Name: fmnist.FieldTTA, Label: "Flip test-time augmentation", Kind: kindBool},
	}},
}

// The intents of the form's secondary buttons (the field FieldIntent):
// they show the form again, filled, and start nothing.
const (
	FieldIntent   = "intent"
	IntentPreset  = "preset"  // fill the fields from the chosen preset
	IntentPreview = "preview" // redraw the schedule and augmentation previews
)

// RecipeValues are the recipe fields as text, by field name (and the preset
// under fmnist.FieldPreset). A ticked checkbox is "on"; unticked, absent.
type RecipeValues map[string]string

// RecipeValuesOf renders a recipe (its blanks filled) as form values.
func RecipeValuesOf(r fmnist.Recipe) RecipeValues {
	var fields map[string]any
	raw, _ := json.Marshal(r.Filled()) // a struct of numbers, strings and bools always marshals
	_ = json.Unmarshal(raw, &fields)
	v := RecipeValues{}
	for name, val := range fields {
		switch x := val.(type) {
		case bool:
			if x {
				v[name] = "on"
			}
		case float64:
			v[name] = strconv.FormatFloat(x, 'g', -1, 64)
		case string:
			v[name] = x
		}
	}
	return v
}

// RecipeValuesFrom reads the recipe fields through get (a form's or a
// query's value by name), trimmed.
func RecipeValuesFrom(get func(string) string) RecipeValues {
	v := RecipeValues{fmnist.FieldPreset: strings.TrimSpace(get(fmnist.FieldPreset))}
	for _, g := range RecipeGroups {
		for _, f := range g.Fields {
			if s := strings.TrimSpace(get(f.Name)); s != "" {
				v[f.Name] = s
			}
		}
	}
	return v
}

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
		Recipe:     RecipeValuesFrom(get),
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

// Apply parses the values into cfg's recipe. A blank field keeps cfg's
// value, an unticked checkbox is false; a value that is not a
// number where one is needed is an EINVALID error naming the field.
func (v RecipeValues) Apply(cfg *fmnist.Config) error {
	fields := map[string]any{}
	if p := v[fmnist.FieldPreset]; p != "" {
		fields[fmnist.FieldPreset] = p
	}
	for _, g := range RecipeGroups {
		for _, f := range g.Fields {
			text := v[f.Name]
			switch f.Kind {
			case kindBool:
				fields[f.Name] = text == "on" || text == "true"
			case kindChoice:
				if text != "" {
					fields[f.Name] = text
				}
			case kindInt:
				if text == "" {
					continue
				}
				n, err := strconv.Atoi(text)
				if err != nil {
					return fmnist.FieldError(f.Name, "must be a whole number")
				}
				fields[f.Name] = n
			case kindFloat:
				if text == "" {
					continue
				}
				x, err := strconv.ParseFloat(text, 64)
				if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
					return fmnist.FieldError(f.Name, "must be a number such as 0.1")
				}
				fields[f.Name] = x
			}
		}
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("recipe form: %w", err)
	}
	if err := json.Unmarshal(raw, &cfg.Recipe); err != nil {
		return fmt.Errorf("recipe form: %w", err)
	}
	return nil
}

// Query is the values as a URL query, for the preview routes.
func (v RecipeValues) Query() url.Values {
	q := url.Values{}
	for name, s := range v {
		if s != "" {
			q.Set(name, s)
		}
	}
	return q
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

// AugmentURL is the augmentation preview's image for the values.
func (v RecipeValues) AugmentURL() string {
	q := url.Values{}
	for _, name := range []string{fmnist.FieldCrop, fmnist.FieldFlip, fmnist.FieldErase} {
		if v[name] != "" {
			q.Set(name, v[name])
		}
	}
	if len(q) == 0 {
		return AugmentPreviewPath
	}
	return AugmentPreviewPath + "?" + q.Encode()
}

// The preview routes.
const (
	AugmentPreviewPath  = "/training/augment.png"
	RecipePreviewPath   = "/training/preview"
	AugmentPreviewCount = 16 // images in the grid, 4×4
)

// AugmentAlt describes the augmentation preview for screen readers.
func (v RecipeValues) AugmentAlt() string {
	var on []string
	if c := v[fmnist.FieldCrop]; c != "" && c != "0" {
		on = append(on, "random crop of "+c+" px")
	}
	if v[fmnist.FieldFlip] == "on" {
		on = append(on, "horizontal flip")
	}
	if e := v[fmnist.FieldErase]; e != "" && e != "0" {
		on = append(on, "random erasing with probability "+e)
	}
	if len(on) == 0 {
		return "16 training images, not augmented"
	}
	return "16 training images with " + strings.Join(on, ", ")
}

// recipeHasError reports whether a recipe field is marked, so the
// "Advanced recipe" section opens on it.
func recipeHasError(errs map[string]string) bool {
	for _, g := range RecipeGroups {
		for _, f := range g.Fields {
			if errs[f.Name] != "" {
				return true
			}
		}
	}
	return false
}

// inputModeOf picks the phone keyboard of a number field.
func inputModeOf(f RecipeField) string {
	if f.Kind == kindInt {
		return "numeric"
	}
	return "decimal"
}

// recipeConfigFields are a run's recipe as label and value, for its page:
// every field, blanks as the baseline's (how the run trained).
func recipeConfigFields(r fmnist.Recipe) [][2]string {
	v := RecipeValuesOf(r)
	out := [][2]string{{"Preset", v[fmnist.FieldPreset]}}
	for _, g := range RecipeGroups {
		for _, f := range g.Fields {
			text := v[f.Name]
			if f.Kind == kindBool {
				text = map[bool]string{true: "yes", false: "no"}[text == "on"]
			}
			out = append(out, [2]string{f.Label, text})
		}
	}
	return out
}
