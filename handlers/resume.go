package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/apijson"
	"github.com/fmnist/trainer/views"
)

// Resume and fork: continue a stopped run on its own curve, or start a new
// run from any checkpoint of another.

// resumeRoutes adds the routes of resume and fork: the dashboard's Resume
// button (a form post) and the API.
func (s *Server) resumeRoutes(e *echo.Echo, api *echo.Group) {
	e.POST("/training/resume", s.resumeTraining)
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
	if isHTMX(c) {
		st := s.state.State()
		return render(c, http.StatusOK, views.TrainingControls(views.ControlsView{
			Values: formValues(st.Training.Config), Buttons: buttonsView(st),
		}, csrfToken(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/")
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
