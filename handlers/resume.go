package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/apijson"
	"github.com/fmnist/trainer/views"
	"github.com/fmnist/trainer/views/recipeform"
)

// Resume and fork: continue a stopped run on its own curve, or start a new
// run from any checkpoint of another.

// resumeRoutes adds the routes of resume and fork: the dashboard's Resume
// button and the run page's Fork forms (form posts), and the API.
func (s *Server) resumeRoutes(e *echo.Echo, api *echo.Group) {
	e.POST("/training/resume", s.resumeTraining)
	e.POST("/runs/:id/fork", s.forkRun)
	api.POST("/runs/:id/resume", s.apiResume, requireJSON)
	api.POST("/runs/:id/fork", s.apiFork, requireJSON)
}

// forkExample is a body of POST /api/runs/{id}/fork, for error messages.
const forkExample = `{"checkpoint_id":3,"lr":0.0005}`

// fieldCheckpointID names the checkpoint a fork starts from, in its body
// and in a validation error.
const fieldCheckpointID = "checkpoint_id"

// resumeTraining is the Resume button: it resumes the run named by the
// form's run_id (the dashboard's latest run) to its configured epochs.
func (s *Server) resumeTraining(c echo.Context) error {
	id, err := strconv.ParseInt(strings.TrimSpace(c.FormValue("run_id")), 10, 64)
	if err != nil || id < 1 {
		return s.refuse(c, fmnist.Errorf(fmnist.EINVALID, "The form names no run to resume. Reload the page and try again."), nil)
	}
	if err := s.trainer.Resume(c.Request().Context(), id, 0); err != nil {
		return s.refuse(c, err, nil)
	}
	return s.controlsDone(c)
}

// apiResume is POST /api/runs/{id}/resume with an optional {"epochs": N}.
func (s *Server) apiResume(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	var body struct {
		Epochs *int `json:"epochs"`
	}
	if err := decodeJSON(c, &body, `{"epochs":5}`); err != nil {
		return err
	}
	epochs := 0
	if body.Epochs != nil {
		if epochs = *body.Epochs; epochs < 1 {
			return fmnist.FieldError(fmnist.FieldEpochs, "must be between 1 and 1000")
		}
	}
	if err := s.trainer.Resume(c.Request().Context(), id, epochs); err != nil {
		return err
	}
	st := s.state.State()
	return c.JSON(http.StatusAccepted, map[string]any{"run_id": id, "config": st.Training.Config,
		"from": apijson.Checkpoint{ID: st.Training.Checkpoint.ID, Path: st.Training.Checkpoint.Path,
			Epoch: st.Training.Checkpoint.Epoch, Batch: st.Training.Checkpoint.Batch, CreatedAt: st.Training.Checkpoint.CreatedAt}})
}

// apiFork is POST /api/runs/{id}/fork with {"checkpoint_id": N} and any
// config keys to change.
func (s *Server) apiFork(c echo.Context) error {
	parent, err := runID(c)
	if err != nil {
		return err
	}
	var body struct {
		CheckpointID int64 `json:"checkpoint_id"`
		fmnist.ConfigChanges
	}
	if err := decodeJSON(c, &body, forkExample); err != nil {
		return err
	}
	if body.CheckpointID < 1 {
		return fmnist.FieldError(fieldCheckpointID, "is required: the id of one of the run's checkpoints (GET /api/runs/"+
			strconv.FormatInt(parent, 10)+" lists them)")
	}
	id, err := s.trainer.Fork(c.Request().Context(), parent, body.CheckpointID, body.ConfigChanges)
	if err != nil {
		return err
	}
	run, err := s.runs.Run(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, apijson.RunOf(run))
}

// forkRun is a checkpoint's Fork form on the run page: a new run from it,
// with the learning rate, epochs and recipe fields typed (blank keeps the
// parent's). It
// answers 303 to the new run's page (for htmx, HX-Redirect there), or the
// run page with the error (for htmx, its checkpoints panel).
func (s *Server) forkRun(c echo.Context) error {
	parent, err := pageRunID(c)
	if err != nil {
		return err
	}
	sent, err := c.FormParams()
	if err != nil {
		return fmnist.Errorf(fmnist.EINVALID, "The fork form could not be read: %v", err)
	}
	form := views.ForkForm{Values: recipeform.ForkValues(sent)}
	form.CheckpointID, err = strconv.ParseInt(strings.TrimSpace(c.FormValue(fieldCheckpointID)), 10, 64)
	if err != nil || form.CheckpointID < 1 {
		return s.refuseFork(c, parent, form, fmnist.FieldError(fieldCheckpointID, "is not one of the run's checkpoints: reload the page and pick one"))
	}
	changes, err := form.Values.Changes()
	if err != nil {
		return s.refuseFork(c, parent, form, err)
	}
	id, err := s.trainer.Fork(c.Request().Context(), parent, form.CheckpointID, changes)
	if err != nil {
		return s.refuseFork(c, parent, form, err)
	}
	to := "/runs/" + strconv.FormatInt(id, 10)
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// refuseFork shows the run page again (for htmx, its checkpoints panel)
// with the fork form as typed and why it was refused, under the error's
// status. Internal errors go to handleError.
func (s *Server) refuseFork(c echo.Context, parent int64, form views.ForkForm, err error) error {
	p := problemOf(err, c)
	if p.Code == fmnist.EINTERNAL {
		return err
	}
	v, verr := s.runView(c, parent)
	if verr != nil {
		return verr
	}
	form.Error = p.Message
	if len(p.Fields) > 0 {
		form.Error = views.FieldsSentence(p.Fields)
	}
	form.Errors = views.FieldErrorsOf(p.Fields)
	v.Fork = form
	if isHTMX(c) {
		return render(c, p.Status, views.CheckpointsPanel(v))
	}
	return render(c, p.Status, views.RunPage(v))
}
