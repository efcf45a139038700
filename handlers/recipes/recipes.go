// Package recipes serves the training form's recipe previews and the live
// learning-rate control: the schedule preview (an SVG fragment), the
// augmentation preview (a PNG grid) and POST /training/lr and
// /api/training/lr. Failures are fmnist.Errors, which the handlers
// package's error handler answers.
package recipes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
	"github.com/fmnist/trainer/views/recipeform"
)

// Service is what the routes need from the app.
type Service interface {
	State() fmnist.State
	// ChangeLR sets the learning rate of the run in training from its next batch.
	ChangeLR(lr float64) error
	// AugmentSamples returns n training images (each rows×cols, one after
	// the other) augmented as r says, with the draws of seed.
	AugmentSamples(r fmnist.Recipe, seed int64, n int) (pixels []uint8, rows, cols int, err error)
}

// Routes returns the function that registers the recipe routes on e
// (previews and the form's learning-rate change) and api (JSON under /api).
func Routes(svc Service) func(e *echo.Echo, api *echo.Group) {
	h := handler{svc}
	return func(e *echo.Echo, api *echo.Group) {
		e.GET(views.RecipePreviewPath, h.previews)
		e.GET(views.AugmentPreviewPath, h.augmentImage)
		e.POST(views.LRChangePath, h.changeLR)
		api.POST("/training/lr", h.apiChangeLR)
	}
}

type handler struct{ svc Service }

// previews answers a change of the form's recipe fields (htmx): the
// schedule preview and, out of band, the augmentation preview.
func (h handler) previews(c echo.Context) error {
	v := views.TrainingFormValues(c.QueryParam)
	return render(c, http.StatusOK, views.RecipePreviews(v, h.svc.State().Dataset.Train))
}

// imageScale enlarges each 28×28 image by whole pixels.
const imageScale = 2

// augmentImage draws recipeform.AugmentPreviewCount training images, augmented
// as the query's crop, flip and erase say, as a 4-wide PNG grid.
func (h handler) augmentImage(c echo.Context) error {
	var cfg fmnist.Config
	if err := recipeform.ValuesFrom(c.QueryParam).Apply(&cfg); err != nil {
		return err
	}
	r := cfg.Recipe.Filled()
	// The crop, flip and erase fields as validation checks them.
	probe := fmnist.DefaultConfig()
	probe.Crop, probe.Flip, probe.Erase = r.Crop, r.Flip, r.Erase
	if err := probe.Validate(0); err != nil {
		return err
	}
	pixels, rows, cols, err := h.svc.AugmentSamples(r, probe.Seed, recipeform.AugmentPreviewCount)
	if err != nil {
		return err
	}
	const perRow, gap = 4, 2
	n := len(pixels) / (rows * cols)
	cell := cols*imageScale + gap
	img := image.NewGray(image.Rect(0, 0, perRow*cell-gap, (n+perRow-1)/perRow*(rows*imageScale+gap)-gap))
	for i := range img.Pix {
		img.Pix[i] = 255 // white gaps between the images
	}
	for k := range n {
		ox, oy := (k%perRow)*cell, (k/perRow)*(rows*imageScale+gap)
		src := pixels[k*rows*cols : (k+1)*rows*cols]
		for y := range rows * imageScale {
			for x := range cols * imageScale {
				img.SetGray(ox+x, oy+y, color.Gray{Y: 255 - src[(y/imageScale)*cols+x/imageScale]})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode the augmentation preview: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}

// changeLR is the page's form: the learning rate from the next batch.
func (h handler) changeLR(c echo.Context) error {
	text := strings.TrimSpace(c.FormValue(fmnist.FieldLR))
	lr, err := strconv.ParseFloat(text, 64)
	if err != nil {
		err = fmnist.FieldError(fmnist.FieldLR, "must be a number such as 0.001")
	} else {
		err = h.svc.ChangeLR(lr)
	}
	if !isHTMX(c) {
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/")
	}
	status := views.LRStatusView{Value: text, Message: fmt.Sprintf("Learning rate %s from the next batch.", text)}
	code := http.StatusOK
	if err != nil {
		status.Message, status.IsError = fmnist.ErrorMessage(err), true
		code = statusOf(err)
	}
	return render(c, code, views.LRStatus(status))
}

// lrRequest is the body of POST /api/training/lr.
type lrRequest struct {
	LR *float64 `json:"lr"`
}

// apiChangeLR is POST /api/training/lr {"lr": x}: 202, the change is
// taken before the next batch.
func (h handler) apiChangeLR(c echo.Context) error {
	var req lrRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmnist.FieldError(fmnist.FieldLR, "must be a number such as 0.001")
		}
		return echo.NewHTTPError(http.StatusBadRequest, `The body must be one JSON object such as {"lr":0.0005}.`)
	}
	if req.LR == nil {
		return fmnist.FieldError(fmnist.FieldLR, "is required: the learning rate to train at from the next batch")
	}
	if err := h.svc.ChangeLR(*req.LR); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]float64{"lr": *req.LR})
}

// statusOf is the HTTP status of an fmnist error code, as the handlers
// package's error table has it for these routes.
func statusOf(err error) int {
	switch fmnist.ErrorCode(err) {
	case fmnist.EINVALID:
		return http.StatusUnprocessableEntity
	case fmnist.ECONFLICT:
		return http.StatusConflict
	case fmnist.ENOTFOUND:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func render(c echo.Context, code int, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(code)
	return component.Render(c.Request().Context(), c.Response())
}

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }
