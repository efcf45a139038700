package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/ml"
	"github.com/fmnist/trainer/views"
)

// The form actions work twice over: as a plain form post they answer 303 to
// the page (or the page with the error and its status code), and for htmx
// they answer the fragment of the panel that changed.

// predictionCount is how many test images "Get Predictions" shows.
const predictionCount = 16

func (s *Server) prepareDataset(c echo.Context) error {
	err := s.svc.PrepareDataset()
	if err != nil {
		return s.refuse(c, http.StatusConflict, "The dataset cannot be downloaded now: "+err.Error()+".", nil)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.DatasetPanel(datasetView(s.svc.State().Dataset), csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) startTraining(c echo.Context) error {
	values := views.FormValues{
		Epochs:     strings.TrimSpace(c.FormValue(views.FieldEpochs)),
		BatchSize:  strings.TrimSpace(c.FormValue(views.FieldBatchSize)),
		LR:         strings.TrimSpace(c.FormValue(views.FieldLR)),
		TrainLimit: strings.TrimSpace(c.FormValue(views.FieldTrainLimit)),
	}
	cfg, err := parseTrainingForm(values)
	if err == nil {
		_, err = s.svc.StartTraining(c.Request().Context(), cfg)
	}
	var fe *ml.FieldError
	switch {
	case errors.As(err, &fe):
		return s.refuse(c, http.StatusUnprocessableEntity, "", &formProblem{values: values, field: fe})
	case errors.Is(err, ml.ErrBusy):
		return s.refuse(c, http.StatusConflict, "A training run or download is already in progress; stop it first.", &formProblem{values: values})
	case errors.Is(err, app.ErrDatasetNotReady):
		return s.refuse(c, http.StatusConflict, "The dataset is not ready: download and prepare it first.", &formProblem{values: values})
	case err != nil:
		return err
	}
	if isHTMX(c) {
		st := s.svc.State()
		return render(c, http.StatusOK, views.TrainingControls(views.ControlsView{Values: values, Buttons: buttonsView(st)}, csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) stopTraining(c echo.Context) error {
	if err := s.svc.StopTraining(); err != nil {
		return s.refuse(c, http.StatusConflict, "Nothing to stop: no training run is in progress.", nil)
	}
	if isHTMX(c) {
		st := s.svc.State()
		// The status line says "stopping", then "stopped", live.
		return render(c, http.StatusOK, views.TrainingControls(views.ControlsView{
			Values: formValues(st.Training.Config), Buttons: buttonsView(st),
		}, csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) predict(c echo.Context) error {
	_, err := s.svc.Predict(c.Request().Context(), predictionCount)
	switch {
	case errors.Is(err, app.ErrNoModel), errors.Is(err, app.ErrDatasetNotReady):
		return s.refuse(c, http.StatusConflict, err.Error(), nil)
	case err != nil:
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.PredictionsPanel(predictionsView(s.svc.State(), s.svc.LastPredictions()), csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// formProblem is a rejected training form, shown again as it was typed.
type formProblem struct {
	values views.FormValues
	field  *ml.FieldError
}

// refuse answers an action that cannot be done: for htmx, the panel the
// action swaps, with the message; otherwise the whole page with the message,
// under the given status code. Nothing has changed.
func (s *Server) refuse(c echo.Context, code int, message string, form *formProblem) error {
	st := s.svc.State()
	controls := views.ControlsView{Values: formValues(st.Training.Config), Buttons: buttonsView(st),
		Message: message, MessageIsError: message != ""}
	if form != nil {
		controls.Values = form.values
		if form.field != nil {
			controls.Errors = map[string]string{form.field.Field: form.field.Message}
			controls.Message = "Please correct the highlighted field."
		}
	}
	if isHTMX(c) {
		return render(c, code, s.refusalFragment(c, st, controls, message))
	}
	p, err := s.pageData(c.Request().Context())
	if err != nil {
		return err
	}
	p.CSRF = csrfToken(c)
	p.Controls = controls
	if strings.HasPrefix(c.Path(), "/predictions") {
		p.Predictions.Message = message
	}
	if c.Path() == "/dataset" {
		p.Dataset.Error = message
	}
	return render(c, code, views.Page(p))
}

// refusalFragment is the panel an htmx action swaps, carrying the message.
func (s *Server) refusalFragment(c echo.Context, st app.State, controls views.ControlsView, message string) templ.Component {
	switch c.Path() {
	case "/dataset":
		d := datasetView(st.Dataset)
		if d.State != views.DatasetFailed {
			d.Error = message
		}
		return views.DatasetPanel(d, csrfToken(c))
	case "/predictions":
		p := predictionsView(st, s.svc.LastPredictions())
		p.Message = message
		return views.PredictionsPanel(p, csrfToken(c))
	}
	return views.TrainingControls(controls, csrfToken(c))
}

// parseTrainingForm turns the form's text into a Config. An empty field
// takes the default; train_limit empty means all images. The config is
// validated by the service against the dataset.
func parseTrainingForm(v views.FormValues) (ml.Config, error) {
	cfg := ml.DefaultConfig()
	var err error
	if cfg.Epochs, err = formInt(v.Epochs, views.FieldEpochs, cfg.Epochs); err != nil {
		return cfg, err
	}
	if cfg.BatchSize, err = formInt(v.BatchSize, views.FieldBatchSize, cfg.BatchSize); err != nil {
		return cfg, err
	}
	if v.LR != "" {
		lr, perr := strconv.ParseFloat(v.LR, 64)
		if perr != nil {
			return cfg, &ml.FieldError{Field: views.FieldLR, Message: "must be a number such as 0.001"}
		}
		cfg.LR = lr
	}
	if cfg.TrainLimit, err = formInt(v.TrainLimit, views.FieldTrainLimit, 0); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(0)
}

func formInt(text, field string, def int) (int, error) {
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, &ml.FieldError{Field: field, Message: "must be a whole number"}
	}
	return n, nil
}
