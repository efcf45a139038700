package fmnist

import (
	"errors"
	"reflect"
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
