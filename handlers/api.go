package handlers

import (
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
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

type apiDataset struct {
	Status    fmnist.Status `json:"status"`
	Reason    string        `json:"reason,omitempty"`
	File      string        `json:"file,omitempty"`
	BytesDone int64         `json:"bytes_done"`
	BytesAll  int64         `json:"bytes_total"`
	Train     int           `json:"train_images"`
	Test      int           `json:"test_images"`
	Retry     *apiRetry     `json:"retry,omitempty"`
}

// apiRetry is the latest retry of a download in progress.
type apiRetry struct {
	File        string  `json:"file"`
	Mirror      string  `json:"mirror"`
	Attempt     int     `json:"attempt"`
	Attempts    int     `json:"attempts"`
	WaitSeconds float64 `json:"wait_seconds"`
	Message     string  `json:"message"`
}

type apiProgress struct {
	Epoch        int     `json:"epoch"`
	Epochs       int     `json:"epochs"`
	Batch        int     `json:"batch"`
	Batches      int     `json:"batches"`
	Loss         float64 `json:"loss"`
	AvgLoss      float64 `json:"avg_loss"`
	Percent      float64 `json:"percent"`
	ImagesPerSec float64 `json:"images_per_sec"`
}

type apiTraining struct {
	Status     fmnist.Status  `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	RunID      int64          `json:"run_id,omitempty"`
	Config     *fmnist.Config `json:"config,omitempty"`
	Progress   apiProgress    `json:"progress"`
	Checkpoint string         `json:"checkpoint,omitempty"`
}

type apiStatus struct {
	Dataset     apiDataset  `json:"dataset"`
	Training    apiTraining `json:"training"`
	HasModel    bool        `json:"has_model"`
	LastEventID uint64      `json:"last_event_id"`
	Viewers     int         `json:"viewers"`
}

func (s *Server) apiStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, s.statusJSON(s.state.State()))
}

func (s *Server) statusJSON(st fmnist.State) apiStatus {
	ev := statusEventJSON(st)
	return apiStatus{Dataset: ev.Dataset, Training: ev.Training, HasModel: ev.HasModel,
		LastEventID: s.hub.LastID(), Viewers: s.hub.Viewers()}
}

type apiRun struct {
	ID              int64         `json:"id"`
	Config          fmnist.Config `json:"config"`
	Status          fmnist.Status `json:"status"`
	Reason          string        `json:"reason,omitempty"`
	StartedAt       time.Time     `json:"started_at"`
	EndedAt         *time.Time    `json:"ended_at,omitempty"`
	DurationSeconds float64       `json:"duration_seconds"` // until now while it trains
	EpochsDone      int           `json:"epochs_done"`
	// TestAccuracy and TestLoss are the final ones: of the latest epoch.
	TestAccuracy     *float64      `json:"test_accuracy,omitempty"`
	TestLoss         *float64      `json:"test_loss,omitempty"`
	BestTestAccuracy *float64      `json:"best_test_accuracy,omitempty"`
	ImagesPerSec     *float64      `json:"images_per_sec,omitempty"` // mean over its epochs
	Parent           *apiForkPoint `json:"parent,omitempty"`
}

// apiForkPoint is where a fork left its parent; the ids are 0 once deleted.
type apiForkPoint struct {
	RunID        int64 `json:"run_id"`
	CheckpointID int64 `json:"checkpoint_id"`
	Epoch        int   `json:"epoch"`
	Batch        int   `json:"batch"`
}

func runJSON(r fmnist.Run) apiRun {
	out := apiRun{ID: r.ID, Config: r.Config, Status: r.Status, Reason: r.Reason, StartedAt: r.StartedAt,
		DurationSeconds: r.Duration(time.Now()).Seconds(), EpochsDone: r.EpochsDone,
		TestAccuracy: optional(r.TestAccuracy), TestLoss: optional(r.TestLoss),
		BestTestAccuracy: optional(r.BestTestAccuracy), ImagesPerSec: optional(r.ImagesPerSec)}
	if p := r.Parent; p != nil {
		out.Parent = &apiForkPoint{RunID: p.RunID, CheckpointID: p.CheckpointID, Epoch: p.Epoch, Batch: p.Batch}
	}
	if !r.EndedAt.IsZero() {
		t := r.EndedAt
		out.EndedAt = &t
	}
	return out
}

// optional drops a value JSON cannot carry (a diverged loss is NaN).
func optional(f *float64) *float64 {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return nil
	}
	return f
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
		Runs       []apiRun `json:"runs"`
		Limit      int      `json:"limit"`
		Offset     int      `json:"offset"`
		NextOffset *int     `json:"next_offset,omitempty"` // absent on the last page
	}{Runs: make([]apiRun, 0, len(runs)), Limit: f.Limit, Offset: f.Offset}
	if len(runs) > f.Limit {
		runs = runs[:f.Limit]
		next := f.Offset + f.Limit
		out.NextOffset = &next
	}
	for _, r := range runs {
		out.Runs = append(out.Runs, runJSON(r))
	}
	return c.JSON(http.StatusOK, out)
}

// apiPoint is a point of the loss curve; a NaN loss (a diverged run) is null.
type apiPoint struct {
	Epoch float64  `json:"epoch"`
	Loss  *float64 `json:"loss"`
}

// pointsJSON converts a curve; the losses share one backing array rather
// than one allocation each, as a long run has hundreds of thousands.
func pointsJSON(points []fmnist.LossPoint) []apiPoint {
	out, losses := make([]apiPoint, len(points)), make([]float64, len(points))
	for i, p := range points {
		losses[i] = p.Loss
		out[i] = apiPoint{Epoch: p.Epoch, Loss: optional(&losses[i])}
	}
	return out
}

// apiEpoch is an epoch's result; what JSON cannot carry (the NaN loss of a
// diverged run) is null.
type apiEpoch struct {
	Epoch        int      `json:"epoch"`
	TestAccuracy *float64 `json:"test_accuracy"`
	TestLoss     *float64 `json:"test_loss"`
	TrainLoss    *float64 `json:"train_loss"`
	ImagesPerSec *float64 `json:"images_per_sec"`
	Seconds      *float64 `json:"seconds"`
}

func epochJSON(e fmnist.EpochResult) apiEpoch {
	return apiEpoch{Epoch: e.Epoch, TestAccuracy: optional(&e.TestAccuracy), TestLoss: optional(&e.TestLoss),
		TrainLoss: optional(&e.TrainLoss), ImagesPerSec: optional(&e.ImagesPerSec), Seconds: optional(&e.Seconds)}
}

type apiCheckpoint struct {
	ID        int64     `json:"id"`
	Path      string    `json:"path"`
	Epoch     int       `json:"epoch"`
	Batch     int       `json:"batch"`
	CreatedAt time.Time `json:"created_at"`
}

// apiResume marks where a run was resumed: x is the epoch on its curve.
type apiResume struct {
	CheckpointID int64     `json:"checkpoint_id"`
	Epoch        int       `json:"epoch"`
	Batch        int       `json:"batch"`
	X            float64   `json:"x"`
	ResumedAt    time.Time `json:"resumed_at"`
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
		apiRun
		Points      []apiPoint      `json:"points"`
		Epochs      []apiEpoch      `json:"epochs"`
		Checkpoints []apiCheckpoint `json:"checkpoints"`
		Resumes     []apiResume     `json:"resumes"`
	}{apiRun: runJSON(run), Points: pointsJSON(points), Epochs: make([]apiEpoch, len(epochs)),
		Checkpoints: make([]apiCheckpoint, len(ckpts)), Resumes: make([]apiResume, len(resumes))}
	for i, r := range resumes {
		out.Resumes[i] = apiResume{CheckpointID: r.CheckpointID, Epoch: r.Epoch, Batch: r.Batch, X: r.X, ResumedAt: r.ResumedAt}
	}
	for i, e := range epochs {
		out.Epochs[i] = epochJSON(e)
	}
	for i, k := range ckpts {
		out.Checkpoints[i] = apiCheckpoint{ID: k.ID, Path: k.Path, Epoch: k.Epoch, Batch: k.Batch, CreatedAt: k.CreatedAt}
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

type apiPrediction struct {
	Index         int                        `json:"index"`
	Predicted     int                        `json:"predicted"`
	PredictedName string                     `json:"predicted_name"`
	Label         int                        `json:"label"`
	LabelName     string                     `json:"label_name"`
	Correct       bool                       `json:"correct"`
	Probabilities [fmnist.NumClasses]float64 `json:"probabilities"`
	Image         string                     `json:"image"`
}

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
	out := predictionsJSON(p)
	return c.JSON(http.StatusOK, out)
}
