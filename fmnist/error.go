package fmnist

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error codes: what kind of failure an Error is. The web layer maps each to
// one HTTP status in one table; the command line prints the message.
const (
	ECONFLICT = "conflict"  // the app's state does not allow it now (busy, no model yet)
	EINVALID  = "invalid"   // a value given by the user is wrong; Field names it
	ENOTFOUND = "not_found" // the thing asked for does not exist
	EINTERNAL = "internal"  // anything else: a bug or a failure of the machine
	// ESTORAGE: the data dir's disk is full, or too full to start a run.
	ESTORAGE = "insufficient_storage"
)

// Error is a failure meant for the user: a code that says what kind it is, a
// message written for people, and for EINVALID the field that is wrong.
// Errors without a code are internal; their text is for the server log only.
//
// An EINVALID Error about several fields lists each in Fields, in the order
// they were checked; Field and Message are then the first one's, so code
// that looks at one field still sees one.
type Error struct {
	Code    string
	Message string
	Field   string // the Config field at fault (its JSON name), for EINVALID
	Fields  []FieldProblem
}

// FieldProblem is what is wrong with one field: its JSON name and a message
// that reads after the field's name ("must be between 1 and 1000").
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if len(e.Fields) > 1 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		return strings.Join(parts, "; ")
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Problems lists the fields an error is about: every one of an Error with
// Fields, the one of an Error with only Field, and none otherwise.
func Problems(err error) []FieldProblem {
	var e *Error
	switch {
	case !errors.As(err, &e):
		return nil
	case len(e.Fields) > 0:
		return e.Fields
	case e.Field != "":
		return []FieldProblem{{Field: e.Field, Message: e.Message}}
	}
	return nil
}

// FieldErrors gathers what is wrong with a set of fields, so that a user
// learns of every bad field at once. The zero value is empty and ready.
type FieldErrors struct {
	list []FieldProblem
}

// Add records that field is wrong. A field keeps its first message: a
// later check on it usually follows from the first fault.
func (fe *FieldErrors) Add(field, message string) {
	if !fe.Has(field) {
		fe.list = append(fe.list, FieldProblem{Field: field, Message: message})
	}
}

// AddError records err's fields, and returns err if it is not about fields
// (the caller must report it as it is), else nil.
func (fe *FieldErrors) AddError(err error) error {
	probs := Problems(err)
	if err != nil && len(probs) == 0 {
		return err
	}
	for _, p := range probs {
		fe.Add(p.Field, p.Message)
	}
	return nil
}

// Has reports whether field is already found wrong; later checks that need
// a valid value of it skip.
func (fe *FieldErrors) Has(field string) bool {
	for _, p := range fe.list {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Err is nil when no field was added, else an EINVALID Error listing them.
func (fe *FieldErrors) Err() error {
	if len(fe.list) == 0 {
		return nil
	}
	first := fe.list[0]
	return &Error{Code: EINVALID, Field: first.Field, Message: first.Message, Fields: slices.Clone(fe.list)}
}

// Errorf returns an Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID Error about one field.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Field: field, Message: message}
}

// ErrorCode returns the code of the first Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the text of the first Error in err's chain (with the
// field it names, if any), or a generic message for an internal error, whose
// details belong in the server log only.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Error()
	}
	return "Something went wrong on the server."
}

// ErrorField returns the field of the first Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// The refusals the app gives for its state; compare with errors.Is.
var (
	ErrBusy            = &Error{Code: ECONFLICT, Message: "A training run or download is already in progress; stop it first."}
	ErrDatasetNotReady = &Error{Code: ECONFLICT, Message: "The dataset is not ready: download and prepare it first."}
	ErrNotTraining     = &Error{Code: ECONFLICT, Message: "Nothing to stop: no training run is in progress."}
	ErrNotDownloading  = &Error{Code: ECONFLICT, Message: "No download is in progress."}
	ErrNoModel         = &Error{Code: ECONFLICT, Message: "No model has been trained yet. Train one, then ask for predictions."}
)
