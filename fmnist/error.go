package fmnist

import (
	"errors"
	"fmt"
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
type Error struct {
	Code    string
	Message string
	Field   string // the Config field at fault (its JSON name), for EINVALID
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
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
	ErrNoModel         = &Error{Code: ECONFLICT, Message: "There is no trained model yet: train one first."}
)
