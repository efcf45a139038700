package handlers

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// The form actions work twice over: as a plain form post they answer 303 to
// the page (or the page with the error and its status code), and for htmx
// they answer the fragment of the panel that changed.

// predictionCount is how many test images "Get Predictions" shows.
const predictionCount = 16

func (s *Server) prepareDataset(c echo.Context) error {
	if err := s.trainer.PrepareDataset(); err != nil {
		return s.refuse(c, err, nil)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.DatasetPanel(views.DatasetViewOf(s.state.State().Dataset), csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) cancelDownload(c echo.Context) error {
	if err := s.trainer.CancelDownload(); err != nil {
		return s.refuse(c, err, nil)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.DatasetPanel(views.DatasetViewOf(s.state.State().Dataset), csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) startTraining(c echo.Context) error {
	values := views.TrainingFormValues(c.FormValue)
	if values.Intent != "" { // Load preset or Preview: the form again, filled
		return s.refuse(c, nil, &values)
	}
	cfg, err := values.Config(0) // the service checks it against the dataset
	if err == nil {
		_, err = s.trainer.StartTraining(c.Request().Context(), cfg)
	}
	if err != nil {
		return s.refuse(c, err, &values)
	}
	if isHTMX(c) {
		st := s.state.State()
		return render(c, http.StatusOK, views.TrainingControls(views.ControlsView{Values: values, Buttons: views.ButtonsViewOf(st), TrainImages: st.Dataset.Train}, csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) stopTraining(c echo.Context) error {
	if err := s.trainer.StopTraining(); err != nil {
		return s.refuse(c, err, nil)
	}
	// The status line and the buttons say "stopping", then "stopped", live.
	// htmx gets no controls back: rendered now they could reach the page
	// after the stream's "stopped" and leave the stopping buttons there.
	if isHTMX(c) {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// controlsDone answers an action on the training controls that was done:
// the controls as they are now for htmx, else 303 to the page.
func (s *Server) controlsDone(c echo.Context) error {
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	st := s.state.State()
	return render(c, http.StatusOK, views.TrainingControls(views.ControlsView{
		Values: views.FormValuesOf(st.Training.Config), Buttons: views.ButtonsViewOf(st), TrainImages: st.Dataset.Train,
	}, csrfToken(c)))
}

func (s *Server) predict(c echo.Context) error {
	if _, err := s.predictor.Predict(c.Request().Context(), predictionCount); err != nil {
		return s.refuse(c, err, nil)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.PredictionsPanel(views.PredictionsViewOf(s.state.State(), s.predictor.LastPredictions()), csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/#predictions-panel") // the grid, not the top of the page
}

// refuse answers an action that could not be done, with the status and
// message of the error table: for htmx, the panel the action swaps;
// otherwise the whole page. A rejected training form (typed) is shown again
// as it was typed, with each bad field marked; as a plain post, by a
// redirect to the page with the values in its query (trainingFormPage),
// so that the address stays the page's own. Nothing has changed.
// Internal errors are not the user's to read: they go to handleError.
// A nil err shows the typed form again with status 200 (its Load preset
// and Preview buttons).
func (s *Server) refuse(c echo.Context, err error, typed *views.FormValues) error {
	p := problem{Status: http.StatusOK}
	if err != nil {
		p = problemOf(err, c)
	}
	if p.Code == fmnist.EINTERNAL {
		return err
	}
	if typed != nil && p.Code == fmnist.EINVALID && !isHTMX(c) {
		// No #fragment: a fragment's target would stop autofocus.
		return c.Redirect(http.StatusSeeOther, "/?"+typed.Query().Encode())
	}
	st := s.state.State()
	controls := views.ControlsView{Values: views.FormValuesOf(st.Training.Config), Buttons: views.ButtonsViewOf(st),
		Message: p.Message, MessageIsError: true, TrainImages: st.Dataset.Train}
	if typed != nil {
		controls.Values = *typed
	}
	if len(p.Fields) > 0 {
		controls.Errors = views.FieldErrorsOf(p.Fields)
		controls.Message, controls.MessageIsError = views.CorrectFieldsMessage(len(p.Fields)), false
	}
	if isHTMX(c) {
		return render(c, p.Status, s.refusalFragment(c, st, controls, p.Message))
	}
	page, err := s.pageData(c.Request().Context())
	if err != nil {
		return err
	}
	page.CSRF = csrfToken(c)
	page.Controls = controls
	switch c.Path() {
	case "/predictions":
		page.Predictions.Message = p.Message
	case "/dataset", "/dataset/cancel":
		page.Dataset.Error = p.Message
	}
	return render(c, p.Status, views.Page(page))
}

// refusalFragment is the panel an htmx action swaps, carrying the message.
func (s *Server) refusalFragment(c echo.Context, st fmnist.State, controls views.ControlsView, message string) templ.Component {
	switch c.Path() {
	case "/dataset", "/dataset/cancel":
		d := views.DatasetViewOf(st.Dataset)
		if d.State != views.DatasetFailed {
			d.Error = message
		}
		return views.DatasetPanel(d, csrfToken(c))
	case "/predictions":
		p := views.PredictionsViewOf(st, s.predictor.LastPredictions())
		p.Message = message
		return views.PredictionsPanel(p, csrfToken(c))
	}
	return views.TrainingControls(controls, csrfToken(c))
}
