package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// httpStatus is the one table from an error's code to its HTTP status, for
// the page, the form actions and the API alike.
var httpStatus = map[string]int{
	fmnist.ECONFLICT: http.StatusConflict,
	fmnist.EINVALID:  http.StatusUnprocessableEntity,
	fmnist.ENOTFOUND: http.StatusNotFound,
	fmnist.EINTERNAL: http.StatusInternalServerError,
	fmnist.ESTORAGE:  http.StatusInsufficientStorage,
}

// problem is an error as the user is told it: the HTTP status, the code, a
// sentence for people, and the fields at fault. It is also the API's error
// object: {"error":{"code":"invalid","message":"…","field":"epochs",
// "fields":[{"field":"epochs","message":"must be …"},…]}}, field being the
// first of fields.
type problem struct {
	Status  int                   `json:"-"`
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Field   string                `json:"field,omitempty"`
	Fields  []fmnist.FieldProblem `json:"fields,omitempty"`
}

type apiError struct {
	Error problem `json:"error"`
}

// problemOf says what to tell the user about err. Coded errors go through
// the table; echo's own errors (no route, wrong method, body too large, a
// form that cannot be read) keep their status and get a code from it.
func problemOf(err error, c echo.Context) problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		p := problem{Status: he.Code, Code: codeOfStatus(he.Code), Message: http.StatusText(he.Code)}
		if m, ok := he.Message.(string); ok {
			p.Message = m
		}
		switch he.Code {
		case http.StatusNotFound:
			p.Message = "There is no page at " + c.Request().URL.Path + "."
		case http.StatusRequestEntityTooLarge:
			p.Message = "The request body is too large."
		case http.StatusMethodNotAllowed:
			p.Message = "This address does not accept " + c.Request().Method + " requests."
		}
		return p
	}
	code := fmnist.ErrorCode(err)
	return problem{Status: httpStatus[code], Code: code, Message: fmnist.ErrorMessage(err),
		Field: fmnist.ErrorField(err), Fields: fmnist.Problems(err)}
}

// codeOfStatus is the table read backwards, for errors that come as a status.
func codeOfStatus(status int) string {
	for code, s := range httpStatus {
		if s == status {
			return code
		}
	}
	if status >= 500 {
		return fmnist.EINTERNAL
	}
	return fmnist.EINVALID // a request the server cannot take as it is
}

// handleError answers an error that a handler returned: as JSON under /api/,
// and otherwise as a page in the app's layout. Internal errors are logged,
// and their details stay in the log.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemOf(err, c)
	if p.Status >= 500 {
		s.log.Error("request failed", "uri", c.Request().RequestURI, "err", err)
	}
	switch {
	case strings.HasPrefix(c.Request().URL.Path, "/api/"):
		_ = c.JSON(p.Status, apiError{Error: p})
	case c.Request().Method == http.MethodHead:
		_ = c.NoContent(p.Status)
	case p.Status == http.StatusNotFound:
		_ = render(c, p.Status, views.NotFoundPage())
	default:
		_ = render(c, p.Status, views.ErrorPage(p.Status, p.Message))
	}
}
