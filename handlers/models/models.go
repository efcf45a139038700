// Package models serves a run's model as files and takes bundles back:
// export (a .fmnist bundle, ONNX, safetensors), import (a form upload or
// POST /api/models) and reproduce. The work is app/bundles'; this package
// only reads requests and writes answers.
package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
)

// Service is what the routes need: *bundles.Service.
type Service interface {
	Export(ctx context.Context, runID int64, format string, w io.Writer) error
	Import(ctx context.Context, data []byte) (fmnist.Run, error)
	Reproduce(ctx context.Context, runID int64) (bundles.Reproduction, error)
}

// The paths that take a bundle upload, and their body limit (a bundle and
// its multipart framing).
const (
	ImportPath    = "/runs/import"
	APIImportPath = "/api/models"
	UploadLimit   = "33M"
)

// UploadPaths are the POST paths whose bodies are bundles.
var UploadPaths = map[string]bool{ImportPath: true, APIImportPath: true}

// FormField is the file field of the import form (and of a multipart POST).
const FormField = "bundle"

// Routes returns the function that registers the routes on e (the forms)
// and api (JSON and files under /api).
func Routes(svc Service) func(e *echo.Echo, api *echo.Group) {
	h := handler{svc: svc}
	return func(e *echo.Echo, api *echo.Group) {
		get := []string{http.MethodGet, http.MethodHead}
		api.Match(get, "/runs/:id/bundle", h.export(bundles.FormatBundle))
		api.Match(get, "/runs/:id/model.onnx", h.export(bundles.FormatONNX))
		api.Match(get, "/runs/:id/model.safetensors", h.export(bundles.FormatSafetensors))
		e.POST(APIImportPath, h.apiImport)
		e.POST(ImportPath, h.formImport)
		api.POST("/runs/:id/reproduce", h.apiReproduce)
		e.POST("/runs/:id/reproduce", h.formReproduce)
	}
}

type handler struct{ svc Service }

var contentTypes = map[string]string{bundles.FormatBundle: "application/zip", bundles.FormatONNX: "application/octet-stream",
	bundles.FormatSafetensors: "application/octet-stream"}

// export answers with run :id's model in format, as a download. The file is
// made whole before the first byte is sent, so a failure is a clean error.
func (h handler) export(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := runID(c)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := h.svc.Export(c.Request().Context(), id, format, &buf); err != nil {
			return err
		}
		hd := c.Response().Header()
		hd.Set(echo.HeaderContentDisposition, `attachment; filename="`+bundles.ExportFileName(id, format)+`"`)
		return c.Blob(http.StatusOK, contentTypes[format], buf.Bytes())
	}
}

// upload reads the bundle of a request: a multipart form's "bundle" file,
// or else the raw body.
func upload(c echo.Context) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt == echo.MIMEMultipartForm {
		fh, err := c.FormFile(FormField)
		if err != nil {
			return nil, fmnist.FieldError(FormField, "Choose a .fmnist bundle file to import.")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("open the uploaded file: %w", err)
		}
		defer f.Close()
		return readAll(f)
	}
	return readAll(c.Request().Body)
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, bundle.MaxBytes+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(data) > bundle.MaxBytes {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("A bundle is at most %d MB.", bundle.MaxBytes>>20))
	}
	if err != nil {
		return nil, fmt.Errorf("read the upload: %w", err)
	}
	if len(data) == 0 {
		return nil, fmnist.FieldError(FormField, "The upload is empty: send a .fmnist bundle.")
	}
	return data, nil
}

// importedJSON is the answer to an import.
type importedJSON struct {
	RunID  int64         `json:"run_id"`
	Kind   string        `json:"kind"`
	Status string        `json:"status"`
	Config fmnist.Config `json:"config"`
}

func (h handler) apiImport(c echo.Context) error {
	data, err := upload(c)
	if err != nil {
		return err
	}
	run, err := h.svc.Import(c.Request().Context(), data)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/runs/"+strconv.FormatInt(run.ID, 10))
	return c.JSON(http.StatusCreated, importedJSON{RunID: run.ID, Kind: string(run.Kind), Status: string(run.Status), Config: run.Config})
}

func (h handler) formImport(c echo.Context) error {
	data, err := upload(c)
	if err != nil {
		return err
	}
	run, err := h.svc.Import(c.Request().Context(), data)
	if err != nil {
		return err
	}
	return redirect(c, "/runs/"+strconv.FormatInt(run.ID, 10))
}

type reproducedJSON struct {
	RunID   int64         `json:"run_id"`
	Config  fmnist.Config `json:"config"`
	Warning string        `json:"warning,omitempty"`
}

func (h handler) apiReproduce(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send Content-Type: application/json.")
	}
	id, err := runID(c)
	if err != nil {
		return err
	}
	rep, err := h.svc.Reproduce(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, reproducedJSON{RunID: rep.RunID, Config: rep.Config, Warning: rep.Warning})
}

func (h handler) formReproduce(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	rep, err := h.svc.Reproduce(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return redirect(c, "/runs/"+strconv.FormatInt(rep.RunID, 10))
}

// redirect sends a form's browser to url: 303, or HX-Redirect for htmx.
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

func runID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "A run id is a positive whole number.")
	}
	return id, nil
}
