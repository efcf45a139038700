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
	d, t := st.Dataset, st.Training
	out := apiStatus{
		Dataset: apiDataset{Status: d.Status, Reason: d.Reason, File: d.Progress.File,
			BytesDone: d.Progress.Done, BytesAll: d.Progress.Total, Train: d.Train, Test: d.Test},
		Training: apiTraining{Status: t.Status, Reason: t.Reason, RunID: t.RunID, Checkpoint: t.Checkpoint.Path,
			Progress: apiProgress(t.Progress)},
		HasModel:    st.HasModel,
		LastEventID: s.hub.LastID(),
		Viewers:     s.hub.Viewers(),
	}
	if t.RunID > 0 {
		cfg := t.Config
		out.Training.Config = &cfg
	}
	if r := d.Retry; r != nil {
		out.Dataset.Retry = &apiRetry{File: r.File, Mirror: r.Mirror, Attempt: r.Attempt, Attempts: r.Attempts,
			WaitSeconds: r.Wait.Seconds(), Message: r.Message()}
	}
	return out
}

type apiRun struct {
	ID           int64         `json:"id"`
	Config       fmnist.Config `json:"config"`
	Status       fmnist.Status `json:"status"`
	Reason       string        `json:"reason,omitempty"`
	StartedAt    time.Time     `json:"started_at"`
	EndedAt      *time.Time    `json:"ended_at,omitempty"`
	TestAccuracy *float64      `json:"test_accuracy,omitempty"`
	TestLoss     *float64      `json:"test_loss,omitempty"`
	Parent       *apiForkPoint `json:"parent,omitempty"`
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
		TestAccuracy: optional(r.TestAccuracy), TestLoss: optional(r.TestLoss)}
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

func (s *Server) apiRuns(c echo.Context) error {
	runs, err := s.runs.Runs(c.Request().Context(), 100)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	out := make([]apiRun, len(runs))
	for i, r := range runs {
		out[i] = runJSON(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out})
}

type apiPoint struct {
	Epoch float64 `json:"epoch"`
	Loss  float64 `json:"loss"`
}

type apiEpoch struct {
	Epoch        int     `json:"epoch"`
	TestAccuracy float64 `json:"test_accuracy"`
	TestLoss     float64 `json:"test_loss"`
	TrainLoss    float64 `json:"train_loss"`
	ImagesPerSec float64 `json:"images_per_sec"`
	Seconds      float64 `json:"seconds"`
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

func (s *Server) apiRun(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return echo.NewHTTPError(http.StatusBadRequest, "A run id is a positive whole number.")
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
	}{apiRun: runJSON(run), Points: make([]apiPoint, len(points)), Epochs: make([]apiEpoch, len(epochs)),
		Checkpoints: make([]apiCheckpoint, len(ckpts)), Resumes: make([]apiResume, len(resumes))}
	for i, r := range resumes {
		out.Resumes[i] = apiResume{CheckpointID: r.CheckpointID, Epoch: r.Epoch, Batch: r.Batch, X: r.X, ResumedAt: r.ResumedAt}
	}
	for i, p := range points {
		out.Points[i] = apiPoint(p)
	}
	for i, e := range epochs {
		out.Epochs[i] = apiEpoch(e)
	}
	for i, k := range ckpts {
		out.Checkpoints[i] = apiCheckpoint{ID: k.ID, Path: k.Path, Epoch: k.Epoch, Batch: k.Batch, CreatedAt: k.CreatedAt}
	}
	return c.JSON(http.StatusOK, out)
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

func (s *Server) apiPredict(c echo.Context) error {
	if err := emptyJSON(c); err != nil {
		return err
	}
	p, err := s.predictor.Predict(c.Request().Context(), predictionCount)
	if err != nil {
		return err
	}
	out := struct {
		Checkpoint  string             `json:"checkpoint"`
		Accuracy    float64            `json:"test_accuracy"`
		PerClass    map[string]float64 `json:"per_class_accuracy"`
		Predictions []apiPrediction    `json:"predictions"`
	}{Checkpoint: p.Checkpoint, Accuracy: p.Accuracy.Overall, PerClass: map[string]float64{}}
	for i, a := range p.Accuracy.PerClass {
		out.PerClass[fmnist.ClassNames[i]] = a
	}
	for _, it := range p.Items {
		out.Predictions = append(out.Predictions, apiPrediction{
			Index: it.Index, Predicted: it.Predicted, PredictedName: fmnist.ClassNames[it.Predicted],
			Label: it.Label, LabelName: fmnist.ClassNames[it.Label], Correct: it.Predicted == it.Label,
			Probabilities: it.Probabilities, Image: fmt.Sprintf("/predictions/image/%d.png", it.Index),
		})
	}
	return c.JSON(http.StatusOK, out)
}
