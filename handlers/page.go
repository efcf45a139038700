package handlers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/ml"
	"github.com/fmnist/trainer/views"
)

// page renders the dashboard from the store and the service state, and
// remembers the id of the newest event it reflects so the live stream
// resumes right after it.
func (s *Server) page(c echo.Context) error {
	p, err := s.pageData(c.Request().Context())
	if err != nil {
		return err
	}
	p.CSRF = csrfToken(c)
	return render(c, http.StatusOK, views.Page(p))
}

// pageData reads everything the page shows as one consistent snapshot.
func (s *Server) pageData(ctx context.Context) (views.PageView, error) {
	var p views.PageView
	err := s.svc.Consistent(func(st app.State) error {
		db := s.svc.Store()
		points, err := db.LossPoints(ctx, st.Training.RunID)
		if err != nil {
			return fmt.Errorf("read the loss curve: %w", err)
		}
		logs, err := db.RecentLogs(ctx, views.MaxLogEntries)
		if err != nil {
			return fmt.Errorf("read the log: %w", err)
		}
		p = views.PageView{
			AutoRefresh: st.Busy(),
			LastEventID: s.hub.LastID(),
			Dataset:     datasetView(st.Dataset),
			Status:      statusView(st),
			Controls:    views.ControlsView{Values: formValues(st.Training.Config), Buttons: buttonsView(st)},
			Progress:    progressView(st.Training),
			Chart:       s.chartView(st.Training.RunID, points),
			Logs:        logViews(logs),
			Predictions: predictionsView(st, s.svc.LastPredictions()),
		}
		return nil
	})
	return p, err
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

// render writes a templ component with a status code.
func render(c echo.Context, code int, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(code)
	return component.Render(c.Request().Context(), c.Response())
}

// isHTMX reports whether htmx sent the request and expects a fragment.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

func datasetView(d app.DatasetState) views.DatasetView {
	v := views.DatasetView{State: views.DatasetState(d.Status), TrainCount: d.Train, TestCount: d.Test, Error: d.Reason}
	if d.Status == ml.StatusIdle || d.Status == "" {
		v.State = views.DatasetIdle
	}
	if d.Status == ml.StatusDownloading {
		v.File, v.Done, v.Total = d.Progress.File, d.Progress.Done, d.Progress.Total
	}
	return v
}

func statusView(st app.State) views.StatusView {
	t := st.Training
	v := views.StatusView{State: string(t.Status)}
	switch {
	case t.Reason != "":
		v.Message = t.Reason
	case t.Checkpoint.Path != "" && !t.Running():
		v.Message = "Checkpoint " + filepath.Base(t.Checkpoint.Path) + checkpointWhen(t.Checkpoint)
	case t.Status == ml.StatusIdle && st.Dataset.Status != ml.StatusReady:
		v.Message = "Download the dataset to start"
	case t.Status == ml.StatusIdle:
		v.Message = "Ready to train"
	}
	if t.Reason != "" && t.Checkpoint.Path != "" && !t.Running() {
		// An interrupted or failed run still names what it saved last.
		v.Message = joinStatus(v.Message, "last checkpoint "+filepath.Base(t.Checkpoint.Path)+checkpointWhen(t.Checkpoint))
	}
	if t.RunID > 0 {
		v.Message = joinStatus("Run "+strconv.FormatInt(t.RunID, 10), v.Message)
	}
	return v
}

// joinStatus joins two parts of a status line with " · ", skipping an empty one.
func joinStatus(a, b string) string {
	if b == "" {
		return a
	}
	return a + " · " + b
}

func checkpointWhen(c app.Checkpoint) string {
	if c.Batch > 0 {
		return fmt.Sprintf(" (epoch %d, batch %d)", c.Epoch, c.Batch)
	}
	return fmt.Sprintf(" (after epoch %d)", c.Epoch)
}

func buttonsView(st app.State) views.ButtonsView {
	return views.ButtonsView{
		CanStart: st.Dataset.Status == ml.StatusReady && !st.Busy(),
		CanStop:  st.Training.Status == ml.StatusTraining,
	}
}

// formValues fills the training form from a config (the last run's, or the
// defaults).
func formValues(cfg ml.Config) views.FormValues {
	if cfg.Epochs == 0 {
		cfg = ml.DefaultConfig()
	}
	return views.NewFormValues(cfg.Epochs, cfg.BatchSize, cfg.LR, cfg.TrainLimit)
}

func progressView(t app.TrainingState) views.ProgressView {
	p := t.Progress
	v := views.ProgressView{
		Epoch: p.Epoch, Epochs: p.Epochs, Batch: p.Batch, Batches: p.Batches,
		Loss: p.Loss, AvgLoss: p.AvgLoss, Percent: p.Percent, ImagesPerSec: p.ImagesPerSec,
		Status: string(t.Status),
	}
	if v.Epochs == 0 && t.RunID > 0 {
		v.Epochs = t.Config.Epochs
	}
	if t.LastEpoch.Epoch > 0 {
		v.LastAccuracy, v.HasLastAccuracy = t.LastEpoch.TestAccuracy, true
	}
	return v
}

func (s *Server) chartView(runID int64, points []ml.LossPoint) views.ChartView {
	if len(points) > s.chartPoints {
		points = points[len(points)-s.chartPoints:]
	}
	v := views.ChartView{Run: runID, MaxPoints: s.chartPoints, Points: make([]views.LossPoint, len(points))}
	for i, p := range points {
		v.Points[i] = views.LossPoint{Epoch: p.Epoch, Loss: p.Loss}
	}
	return v
}

func logViews(entries []ml.LogEntry) []views.LogView {
	out := make([]views.LogView, len(entries))
	for i, e := range entries {
		out[i] = logView(e)
	}
	return out
}

func logView(e ml.LogEntry) views.LogView {
	return views.LogView{Time: e.Time, Level: string(e.Level), Message: e.Message}
}

func predictionsView(st app.State, p *app.Predictions) views.PredictionsView {
	v := views.PredictionsView{HasModel: st.HasModel && st.Dataset.Status == ml.StatusReady}
	if p == nil {
		return v
	}
	v.Accuracy, v.HasAccuracy = p.Accuracy.Overall, true
	for _, it := range p.Items {
		v.Items = append(v.Items, views.PredictionView{
			Index:       it.Index,
			Predicted:   ml.ClassNames[it.Predicted],
			Actual:      ml.ClassNames[it.Label],
			Probability: it.Probabilities[it.Predicted],
		})
	}
	return v
}
