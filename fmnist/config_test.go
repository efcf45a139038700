package fmnist

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Three bad fields are reported together, in the form's order, and the
// error still reads as one EINVALID Error about the first.
func TestValidateReportsEveryBadField(t *testing.T) {
	c := DefaultConfig()
	c.Epochs, c.LR, c.TrainLimit = 0, 50, -1
	err := c.Validate(0)
	want := []FieldProblem{
		{FieldEpochs, "must be between 1 and 1000"},
		{FieldLR, "must be greater than 0 and at most 10"},
		{FieldTrainLimit, "must be 0 (all) or a positive number of images"},
	}
	if got := Problems(err); !reflect.DeepEqual(got, want) {
		t.Fatalf("Problems = %+v, want %+v", got, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != EINVALID || e.Field != FieldEpochs || ErrorField(err) != FieldEpochs {
		t.Fatalf("err = %#v, want an EINVALID *Error whose Field is the first bad one", err)
	}
	if ErrorCode(err) != EINVALID {
		t.Errorf("ErrorCode = %q", ErrorCode(err))
	}
}

// A field checked twice keeps its first fault, and a check that needs a
// field already found wrong does not pile on.
func TestValidateOneMessagePerField(t *testing.T) {
	c := DefaultConfig()
	c.TrainLimit, c.BatchSize = 100, 500
	got := Problems(c.Validate(50))
	want := []FieldProblem{{FieldTrainLimit, "is larger than the training set (50 images)"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Problems = %+v, want %+v", got, want)
	}
	if err := DefaultConfig().Validate(60000); err != nil {
		t.Fatalf("the default config is invalid: %v", err)
	}
}

func TestFieldErrorsAddError(t *testing.T) {
	var errs FieldErrors
	other := errors.New("disk on fire")
	if errs.AddError(other) != other {
		t.Fatal("an error about no field must be handed back")
	}
	if errs.AddError(FieldError(FieldLR, "must be a number")) != nil || !errs.Has(FieldLR) {
		t.Fatal("a field error must be gathered")
	}
	if errs.AddError(nil) != nil || len(Problems(errs.Err())) != 1 {
		t.Fatalf("nil adds nothing: %v", errs.Err())
	}
}

// TestConfigChangesApply: a fork's changes set the recipe fields sent and
// keep the others; the network's fields may be sent only unchanged, and a
// change of them names each field.
func TestConfigChangesApply(t *testing.T) {
	parent, _ := Preset(PresetBest)
	var ch ConfigChanges
	if err := json.Unmarshal([]byte(`{"lr":0.002,"schedule":"cosine","final_lr":0.0001,"crop":0,"flip":false,"erase":0.5,
		"label_smoothing":0,"tta":false,"dropout":0.1,"weight_decay":0.001,"val":5000,"time_limit":60,"preset":"best","conv1":32,"batch_norm":true}`), &ch); err != nil {
		t.Fatalf("decode: %v", err)
	}
	got, err := ch.Apply(parent)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := parent
	want.LR, want.Schedule, want.FinalLR, want.Crop, want.Flip, want.Erase = 0.002, ScheduleCosine, 1e-4, 0, false, 0.5
	want.LabelSmoothing, want.TTA, want.Dropout, want.WeightDecay, want.Val, want.TimeLimit = 0, false, 0.1, 1e-3, 5000, 60
	if got != want {
		t.Errorf("Apply gave\n%+v\nwant\n%+v", got, want)
	}
	if kept, err := (ConfigChanges{}).Apply(parent); err != nil || kept != parent {
		t.Errorf("no changes: %+v, %v; want the parent's config", kept, err)
	}

	preset, width, bn := PresetBN, 48, false
	_, err = ConfigChanges{Preset: &preset, Conv2: &width, BatchNorm: &bn}.Apply(parent)
	wantProblems := []string{FieldPreset, FieldConv2, FieldBatchNorm}
	var fields []string
	for _, p := range Problems(err) {
		fields = append(fields, p.Field)
		if !strings.Contains(p.Message, "must stay the parent's") {
			t.Errorf("%s: %q; want it to say the parent's value stays", p.Field, p.Message)
		}
	}
	if !reflect.DeepEqual(fields, wantProblems) {
		t.Errorf("network changes refused on %v; want %v", fields, wantProblems)
	}
}
