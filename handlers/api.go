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
	ID           int64         `json:"id"`
	Config       fmnist.Config `json:"config"`
	Status       fmnist.Status `json:"status"`
	Reason       string        `json:"reason,omitempty"`
	StartedAt    time.Time     `json:"started_at"`
	EndedAt      *time.Time    `json:"ended_at,omitempty"`
	TestAccuracy *float64      `json:"test_accuracy,omitempty"`
	TestLoss     *float64      `json:"test_loss,omitempty"`
}

func runJSON(r fmnist.Run) apiRun {
	out := apiRun{ID: r.ID, Config: r.Config, Status: r.Status, Reason: r.Reason, StartedAt: r.StartedAt,
		TestAccuracy: optional(r.TestAccuracy), TestLoss: optional(r.TestLoss)}
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
	Path      string    `json:"path"`
	Epoch     int       `json:"epoch"`
	Batch     int       `json:"batch"`
	CreatedAt time.Time `json:"created_at"`
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
	out := struct {
		apiRun
		Points      []apiPoint      `json:"points"`
		Epochs      []apiEpoch      `json:"epochs"`
		Checkpoints []apiCheckpoint `json:"checkpoints"`
	}{apiRun: runJSON(run), Points: make([]apiPoint, len(points)), Epochs: make([]apiEpoch, len(epochs)),
		Checkpoints: make([]apiCheckpoint, len(ckpts))}
	for i, p := range points {
		out.Points[i] = apiPoint(p)
	}
	for i, e := range epochs {
		out.Epochs[i] = apiEpoch(e)
	}
	for i, k := range ckpts {
		out.Checkpoints[i] = apiCheckpoint{Path: k.Path, Epoch: k.Epoch, Batch: k.Batch, CreatedAt: k.CreatedAt}
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
	out := predictionsJSON(p)
	return c.JSON(http.StatusOK, out)
}
