package recipeform

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

// Package recipeform is the recipe part of the training form. Its fields carry fmnist.Recipe's
// JSON names, so one table drives the inputs, the parsing and the preview
// queries; a value travels as the text the user typed.

// FieldKind is how a recipe field is typed in and parsed.
type FieldKind int

const (
	KindInt FieldKind = iota
	KindFloat
	KindBool   // a checkbox: "on" when ticked
	KindChoice // a select of Options
)

// Field is one input of the recipe form.
type Field struct {
	Name, Label, Hint string
	Kind              FieldKind
	Options           []string
}

// Group is a fieldset of the "Advanced recipe" section.
type Group struct {
	ID, Legend string
	Fields     []Field
}

// Groups are the recipe's fields as the form groups them.
var Groups = []Group{
	{ID: "model", Legend: "Model", Fields: []Field{
		{Name: fmnist.FieldConv1, Label: "Conv 1 width", Hint: "channels", Kind: KindInt},
		{Name: fmnist.FieldConv2, Label: "Conv 2 width", Hint: "channels", Kind: KindInt},
		{Name: fmnist.FieldDense, Label: "Dense width", Hint: "units", Kind: KindInt},
		{Name: fmnist.FieldDropout, Label: "Dropout", Hint: fmt.Sprintf("0 to %g", fmnist.MaxDropout), Kind: KindFloat},
		{Name: fmnist.FieldBatchNorm, Label: "Batch norm", Kind: KindBool},
	}},
	{ID: "schedule", Legend: "Learning-rate schedule", Fields: []Field{
		{Name: fmnist.FieldSchedule, Label: "Schedule", Kind: KindChoice, Options: fmnist.Schedules},
		{Name: fmnist.FieldStepFactor, Label: "Step factor", Hint: "step", Kind: KindFloat},
		{Name: fmnist.FieldStepEvery, Label: "Step every", Hint: "epochs, step", Kind: KindInt},
		{Name: fmnist.FieldWarmup, Label: "Warm-up", Hint: "fraction, onecycle", Kind: KindFloat},
		{Name: fmnist.FieldPeakLR, Label: "Peak LR", Hint: "onecycle", Kind: KindFloat},
		{Name: fmnist.FieldFinalLR, Label: "Final LR", Hint: "cosine, onecycle", Kind: KindFloat},
	}},
	{ID: "optimizer", Legend: "Optimiser", Fields: []Field{
		{Name: fmnist.FieldOptimizer, Label: "Optimiser", Kind: KindChoice, Options: fmnist.Optimizers},
		{Name: fmnist.FieldWeightDecay, Label: "Weight decay", Hint: "0 to 0.1", Kind: KindFloat},
		{Name: fmnist.FieldMomentum, Label: "Momentum", Hint: "sgd", Kind: KindFloat},
	}},
	{ID: "augment", Legend: "Augmentation", Fields: []Field{
		{Name: fmnist.FieldCrop, Label: "Random crop", Hint: fmt.Sprintf("padding px, 0 off, up to %d", fmnist.MaxCrop), Kind: KindInt},
		{Name: fmnist.FieldErase, Label: "Random erasing", Hint: "probability, 0 off", Kind: KindFloat},
		{Name: fmnist.FieldFlip, Label: "Horizontal flip", Kind: KindBool},
	}},
	{ID: "evaluation", Legend: "Loss and evaluation", Fields: []Field{
		{Name: fmnist.FieldLabelSmoothing, Label: "Label smoothing", Hint: fmt.Sprintf("0 to %g", fmnist.MaxLabelSmoothing), Kind: KindFloat},
		{Name: fmnist.FieldVal, Label: "Validation images", Hint: "held out, 0 none", Kind: KindInt},
		{Name: fmnist.FieldTimeLimit, Label: "Time limit", Hint: "seconds, 0 none", Kind: KindInt},
		{Name: fmnist.FieldTTA, Label: "Flip test-time augmentation", Kind: KindBool},
	}},
}

// The intents of the form's secondary buttons (the field FieldIntent):
// they show the form again, filled, and start nothing.
const (
	FieldIntent   = "intent"
	IntentPreset  = "preset"  // fill the fields from the chosen preset
	IntentPreview = "preview" // redraw the schedule and augmentation previews
)

// Values are the recipe fields as text, by field name (and the preset
// under fmnist.FieldPreset). A ticked checkbox is "on"; unticked, absent.
type Values map[string]string

// ValuesOf renders a recipe (its blanks filled) as form values.
func ValuesOf(r fmnist.Recipe) Values {
	var fields map[string]any
	raw, _ := json.Marshal(r.Filled()) // a struct of numbers, strings and bools always marshals
	_ = json.Unmarshal(raw, &fields)
	v := Values{}
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

// ValuesFrom reads the recipe fields through get (a form's or a
// query's value by name), trimmed.
func ValuesFrom(get func(string) string) Values {
	v := Values{fmnist.FieldPreset: strings.TrimSpace(get(fmnist.FieldPreset))}
	for _, g := range Groups {
		for _, f := range g.Fields {
			if s := strings.TrimSpace(get(f.Name)); s != "" {
				v[f.Name] = s
			}
		}
	}
	return v
}

// Apply parses the values into cfg's recipe. A blank field keeps cfg's
// value, an unticked checkbox is false; a value that is not a
// number where one is needed is an EINVALID error naming the field.
func (v Values) Apply(cfg *fmnist.Config) error {
	fields := map[string]any{}
	if p := v[fmnist.FieldPreset]; p != "" {
		fields[fmnist.FieldPreset] = p
	}
	for _, g := range Groups {
		for _, f := range g.Fields {
			text := v[f.Name]
			if text == "" && f.Kind != KindBool {
				continue
			}
			x, err := f.parse(text)
			if err != nil {
				return err
			}
			fields[f.Name] = x
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

// parse reads text typed into f as the JSON value of its kind; a value
// that is not a number where one is needed is an EINVALID error naming f.
func (f Field) parse(text string) (any, error) {
	switch f.Kind {
	case KindBool:
		return text == "on" || text == "true", nil
	case KindInt:
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, fmnist.FieldError(f.Name, "must be a whole number")
		}
		return n, nil
	case KindFloat:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmnist.FieldError(f.Name, "must be a number such as 0.1")
		}
		return x, nil
	}
	return text, nil
}

// Query is the values as a URL query, for the preview routes.
func (v Values) Query() url.Values {
	q := url.Values{}
	for name, s := range v {
		if s != "" {
			q.Set(name, s)
		}
	}
	return q
}

// AugmentURL is the augmentation preview's image for the values.
func (v Values) AugmentURL() string {
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
func (v Values) AugmentAlt() string {
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

// HasError reports whether a recipe field is marked, so the
// "Advanced recipe" section opens on it.
func HasError(errs map[string]string) bool {
	for _, g := range Groups {
		for _, f := range g.Fields {
			if errs[f.Name] != "" {
				return true
			}
		}
	}
	return false
}

// InputMode picks the phone keyboard of a number field.
func InputMode(f Field) string {
	if f.Kind == KindInt {
		return "numeric"
	}
	return "decimal"
}

// ConfigFields are a run's recipe as label and value, for its page:
// every field, blanks as the baseline's (how the run trained).
func ConfigFields(r fmnist.Recipe) [][2]string {
	v := ValuesOf(r)
	out := [][2]string{{"Preset", v[fmnist.FieldPreset]}}
	for _, g := range Groups {
		for _, f := range g.Fields {
			text := v[f.Name]
			if f.Kind == KindBool {
				text = map[bool]string{true: "yes", false: "no"}[text == "on"]
			}
			out = append(out, [2]string{f.Label, text})
		}
	}
	return out
}
