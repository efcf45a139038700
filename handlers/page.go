package handlers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
	"github.com/fmnist/trainer/views/downsample"
)

// page renders the dashboard from the store and the service state, and
// remembers the id of the newest event it reflects so the live stream
// resumes right after it.
func (s *Server) page(c echo.Context) error {
	p, err := s.pageData(c.Request().Context())
	if err != nil {
		return err
	}
	p.CSRF, p.Chart.Smooth = csrfToken(c), smoothParam(c)
	return render(c, http.StatusOK, views.Page(p))
}

// pageData reads everything the page shows as one consistent snapshot.
func (s *Server) pageData(ctx context.Context) (views.PageView, error) {
	var p views.PageView
	err := s.state.Consistent(func(st fmnist.State) error {
		points, err := s.runs.LossPoints(ctx, st.Training.RunID)
		if err != nil {
			return fmt.Errorf("read the loss curve: %w", err)
		}
		epochs, err := s.runs.EpochResults(ctx, st.Training.RunID)
		if err != nil {
			return fmt.Errorf("read the epochs: %w", err)
		}
		markers, err := s.runMarkersOf(ctx, st.Training.RunID, st.Training.Config, epochs, st.Dataset.Train)
		if err != nil {
			return err
		}
		logs, err := s.runs.RecentLogs(ctx, views.MaxLogEntries)
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
			Predictions: predictionsView(st, s.predictor.LastPredictions()),
		}
		p.Chart.Markers = markers
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

func datasetView(d fmnist.DatasetState) views.DatasetView {
	v := views.DatasetView{State: views.DatasetState(d.Status), TrainCount: d.Train, TestCount: d.Test}
	switch d.Status {
	case fmnist.StatusIdle, "":
		v.State, v.Notice = views.DatasetIdle, d.Reason
	case fmnist.StatusDownloading:
		v.File, v.Done, v.Total = d.Progress.File, d.Progress.Done, d.Progress.Total
		if d.Retry != nil {
			v.Retry = d.Retry.Message()
		}
	case fmnist.StatusFailed:
		v.Error = d.Reason
	}
	return v
}

func statusView(st fmnist.State) views.StatusView {
	t := st.Training
	v := views.StatusView{State: t.Status}
	switch {
	case t.Reason != "":
		v.Message = t.Reason
	case t.Checkpoint.Path != "" && !t.Running():
		v.Message = "Checkpoint " + filepath.Base(t.Checkpoint.Path) + checkpointWhen(t.Checkpoint)
	case t.Status == fmnist.StatusIdle && st.Dataset.Status != fmnist.StatusReady:
		v.Message = "Download the dataset to start"
	case t.Status == fmnist.StatusIdle:
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

func checkpointWhen(c fmnist.Checkpoint) string {
	if c.Batch > 0 {
		return fmt.Sprintf(" (epoch %d, batch %d)", c.Epoch, c.Batch)
	}
	return fmt.Sprintf(" (after epoch %d)", c.Epoch)
}

func buttonsView(st fmnist.State) views.ButtonsView {
	b := views.ButtonsView{
		CanStart: st.Dataset.Status == fmnist.StatusReady && !st.Busy(),
		CanStop:  st.Training.Status == fmnist.StatusTraining,
	}
	t := st.Training
	if b.CanStart && (t.Status == fmnist.StatusStopped || t.Status == fmnist.StatusInterrupted) && t.Checkpoint.Path != "" {
		b.ResumeRunID = t.RunID
	}
	return b
}

// formValues fills the training form from a config (the last run's, or the
// defaults).
func formValues(cfg fmnist.Config) views.FormValues {
	if cfg.Epochs == 0 {
		cfg = fmnist.DefaultConfig()
	}
	return views.NewFormValues(cfg)
}

func progressView(t fmnist.TrainingState) views.ProgressView {
	p := t.Progress
	v := views.ProgressView{
		Epoch: p.Epoch, Epochs: p.Epochs, Batch: p.Batch, Batches: p.Batches,
		Loss: p.Loss, AvgLoss: p.AvgLoss, Percent: p.Percent, ImagesPerSec: p.ImagesPerSec,
		Status: t.Status,
	}
	if v.Epochs == 0 && t.RunID > 0 {
		v.Epochs = t.Config.Epochs
	}
	if t.LastEpoch.Epoch > 0 {
		v.LastAccuracy, v.HasLastAccuracy = t.LastEpoch.TestAccuracy, true
	}
	return v
}

// chartView is the page's loss chart: the whole run, thinned by LTTB to
// at most chartPoints points so that spikes and the start stay in view.
func (s *Server) chartView(runID int64, points []fmnist.LossPoint) views.ChartView {
	points = downsample.LTTB(points, s.chartPoints, lossXY)
	v := views.ChartView{Run: runID, MaxPoints: s.chartPoints, Points: make([]views.LossPoint, len(points))}
	for i, p := range points {
		v.Points[i] = views.LossPoint{Epoch: p.Epoch, Loss: p.Loss}
	}
	return v
}

func logViews(entries []fmnist.LogEntry) []views.LogView {
	out := make([]views.LogView, len(entries))
	for i, e := range entries {
		out[i] = logView(e)
	}
	return out
}

func logView(e fmnist.LogEntry) views.LogView {
	return views.LogView{Time: e.Time, Level: e.Level, Message: e.Message}
}

func predictionsView(st fmnist.State, p *fmnist.Predictions) views.PredictionsView {
	v := views.PredictionsView{HasModel: st.HasModel && st.Dataset.Status == fmnist.StatusReady}
	if p == nil {
		return v
	}
	v.Accuracy, v.HasAccuracy = p.Accuracy.Overall, true
	for _, it := range p.Items {
		v.Items = append(v.Items, views.PredictionView{
			Index:       it.Index,
			Predicted:   fmnist.ClassNames[it.Predicted],
			Actual:      fmnist.ClassNames[it.Label],
			Probability: it.Probabilities[it.Predicted],
		})
	}
	return v
}
