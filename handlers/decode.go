package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
)

// The JSON bodies of the API are read strictly, so that a script's mistake
// is reported rather than half-read: the body is one JSON object (no body
// at all counts as {}), with no unknown keys and nothing after it. A value
// of the wrong type is a 422 naming its key, like any bad value; a body
// that is not such an object is a 400.

// configExample is the body of POST /api/training, for error messages.
const configExample = `{"preset":"bn","epochs":1,"batch_size":64,"lr":0.001,"train_limit":6000}`

// decodeJSON reads the request's JSON body into v; keys the body leaves out
// keep the value v has. example shows a good body in error messages.
func decodeJSON(c echo.Context, v any, example string) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyReadError(err)
	}
	body = bytes.Trim(body, " \t\r\n") // JSON's white space
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return badJSON("The body must be one JSON object, such as %s.", example)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, example)
	}
	if dec.InputOffset() != int64(len(body)) {
		return badJSON("The body must be one JSON object with nothing after it, such as %s.", example)
	}
	return nil
}

// emptyJSON reads the body of a POST that takes no parameters: {} or nothing.
func emptyJSON(c echo.Context) error { return decodeJSON(c, &struct{}{}, "{}") }

// jsonError says what is wrong with a body that json could not decode.
func jsonError(err error, example string) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var invalid *fmnist.Error
	switch {
	case errors.As(err, &invalid): // a Config's own check, such as an unknown preset
		return invalid
	case errors.As(err, &typeErr) && typeErr.Field != "":
		// The bodies are flat; a key of an embedded struct comes as
		// "ConfigChanges.crop".
		key := typeErr.Field[strings.LastIndex(typeErr.Field, ".")+1:]
		return fmnist.FieldError(key, "must be "+jsonKind(typeErr.Type))
	case errors.As(err, &syntaxErr):
		return badJSON("The body is not valid JSON (at byte %d: %v).", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badJSON("The body is not valid JSON: it ends before the object does.")
	}
	// encoding/json has no type for an unknown key, only this message.
	if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badJSON("The body has an unknown key %s; send an object such as %s.", key, example)
	}
	return badJSON("The body must be one JSON object, such as %s.", example)
}

// jsonKind names the JSON values a Go type accepts, for a user.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number (such as 10, without a fraction or an exponent)"
	case reflect.Float32, reflect.Float64:
		return "a number such as 0.001"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return "a value of another type"
}

func badJSON(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// bodyReadError answers a body that could not be read to its end.
func bodyReadError(err error) error {
	var netErr net.Error
	switch {
	case errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return err // the body limit cut it off
	case errors.As(err, &netErr) && netErr.Timeout():
		return echo.NewHTTPError(http.StatusRequestTimeout, "The request body came too slowly.")
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The request body could not be read.")
}
