package handlers

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/apijson"
)

// The JSON API, for scripts. Errors come back as
// {"error":{"code":"…","message":"…","field":"…"}} (see errors.go).

// requireJSON refuses a POST whose body is not declared as JSON: that is
// what keeps foreign pages (which cannot send it cross-origin) out.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send Content-Type: application/json.")
		}
		return next(c)
	}
}

func (s *Server) apiStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.statusJSON(s.state.State()))
}

func (s *Server) statusJSON(st fmnist.State) apijson.Status {
	ev := apijson.StatusEventOf(st)
	return apijson.Status{Dataset: ev.Dataset, Training: ev.Training, HasModel: ev.HasModel,
		LastEventID: s.hub.LastID(), Viewers: s.hub.Viewers()}
}

// apiRuns lists runs newest first, a page at a time (?status=&limit=&offset=).
func (s *Server) apiRuns(c echo.Context) error {
	f, err := runFilter(c)
	if err != nil {
		return err
	}
	// One more than asked tells whether there is a next page.
	ask := f
	ask.Limit++
	runs, err := s.runs.ListRuns(c.Request().Context(), ask)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	out := struct {
		Runs       []apijson.Run `json:"runs"`
		Limit      int           `json:"limit"`
		Offset     int           `json:"offset"`
		NextOffset *int          `json:"next_offset,omitempty"` // absent on the last page
	}{Runs: make([]apijson.Run, 0, len(runs)), Limit: f.Limit, Offset: f.Offset}
	if len(runs) > f.Limit {
		runs = runs[:f.Limit]
		next := f.Offset + f.Limit
		out.NextOffset = &next
	}
	for _, r := range runs {
		out.Runs = append(out.Runs, apijson.RunOf(r))
	}
	return c.JSON(http.StatusOK, out)
}

// apiRun is a run with its curve (?from=&to= in epochs picks a window of
// it, ?max_points=N thins it), its epoch results and its checkpoints.
func (s *Server) apiRun(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	window, err := queryCurveWindow(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	db := s.runs
	run, err := db.Run(ctx, id)
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	points, err := db.LossPoints(ctx, id)
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	points = window.apply(points)
	epochs, err := db.EpochResults(ctx, id)
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	ckpts, err := db.Checkpoints(ctx, id)
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	resumes, err := db.Resumes(ctx, id)
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	out := struct {
		apijson.Run
		Points      []apijson.Point       `json:"points"`
		Epochs      []apijson.EpochResult `json:"epochs"`
		Checkpoints []apijson.Checkpoint  `json:"checkpoints"`
		Resumes     []apijson.Resume      `json:"resumes"`
	}{Run: apijson.RunOf(run), Points: apijson.Points(points), Epochs: make([]apijson.EpochResult, len(epochs)),
		Checkpoints: make([]apijson.Checkpoint, len(ckpts)), Resumes: make([]apijson.Resume, len(resumes))}
	for i, r := range resumes {
		out.Resumes[i] = apijson.Resume{CheckpointID: r.CheckpointID, Epoch: r.Epoch, Batch: r.Batch, X: r.X, ResumedAt: r.ResumedAt}
	}
	for i, e := range epochs {
		out.Epochs[i] = apijson.EpochResultOf(e)
	}
	for i, k := range ckpts {
		out.Checkpoints[i] = apijson.Checkpoint{ID: k.ID, Path: k.Path, Epoch: k.Epoch, Batch: k.Batch, CreatedAt: k.CreatedAt}
	}
	return c.JSON(http.StatusOK, out)
}

// runID reads the run id in the path.
func runID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "A run id is a positive whole number.")
	}
	return id, nil
}

func (s *Server) apiPrepareDataset(c echo.Context) error {
	if err := emptyJSON(c); err != nil {
		return err
	}
	if err := s.trainer.PrepareDataset(); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.statusJSON(s.state.State()))
}

func (s *Server) apiCancelDownload(c echo.Context) error {
	if err := s.trainer.CancelDownload(); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.statusJSON(s.state.State()))
}

func (s *Server) apiStartTraining(c echo.Context) error {
	// Decoding into the defaults leaves a missing key at its default, while
	// an explicit 0 is kept, and refused by the validation.
	cfg := fmnist.DefaultConfig()
	if err := decodeJSON(c, &cfg, configExample); err != nil {
		return err
	}
	id, err := s.trainer.StartTraining(c.Request().Context(), cfg)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"run_id": id, "config": cfg})
}

func (s *Server) apiStopTraining(c echo.Context) error {
	if err := emptyJSON(c); err != nil {
		return err
	}
	if err := s.trainer.StopTraining(); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.statusJSON(s.state.State()))
}

// maxPredictIndices caps the images one POST /api/predictions asks about.
const maxPredictIndices = 1000

// predictExample is a body of POST /api/predictions, for error messages.
const predictExample = `{"run_id":1,"checkpoint_id":2,"indices":[0,1,2]}`

func (s *Server) apiPredict(c echo.Context) error {
	var in struct {
		RunID        int64 `json:"run_id"`
		CheckpointID int64 `json:"checkpoint_id"`
		Indices      []int `json:"indices"`
	}
	if err := decodeJSON(c, &in, predictExample); err != nil {
		return err
	}
	if len(in.Indices) > maxPredictIndices {
		return fmnist.FieldError("indices", fmt.Sprintf("at most %d images at a time", maxPredictIndices))
	}
	p, err := s.predictor.PredictFrom(c.Request().Context(), fmnist.PredictionRequest{
		RunID: in.RunID, CheckpointID: in.CheckpointID, Indices: in.Indices, Count: predictionCount})
	if err != nil {
		return err
	}
	out := apijson.PredictionsOf(p)
	return c.JSON(http.StatusOK, out)
}
