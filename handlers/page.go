package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/analytics"
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
	if epoch := c.QueryParam("epoch"); epoch != "" { // the no-JS epoch picker
		if p.Analytics, err = analytics.View(c.Request().Context(), s.analytics, p.Analytics.Run, epoch); err != nil {
			return err
		}
	}
	p.CSRF, p.Chart.Smooth = csrfToken(c), smoothParam(c)
	if q := c.QueryParams(); q.Has(fmnist.FieldEpochs) {
		// A refused plain post of the training form comes back here with
		// what was typed; it is checked again rather than trusted.
		p.Controls.Values = views.TrainingFormValues(q.Get)
		if _, err := p.Controls.Values.Config(s.state.State().Dataset.Train); err != nil {
			probs := fmnist.Problems(err)
			p.Controls.Errors, p.Controls.Message = views.FieldErrorsOf(probs), views.CorrectFieldsMessage(len(probs))
		}
	}
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
			Dataset:     views.DatasetViewOf(st.Dataset),
			Status:      views.StatusViewOf(st),
			Controls:    views.ControlsView{Values: views.FormValuesOf(st.Training.Config), Buttons: views.ButtonsViewOf(st), TrainImages: st.Dataset.Train},
			Progress:    views.ProgressViewOf(st),
			Chart:       s.chartView(st.Training.RunID, points, batchesPerEpoch(st)),
			Logs:        views.LogViewsOf(logs),
			Predictions: views.PredictionsViewOf(st, s.predictor.LastPredictions()),
			TabTitle:    views.TabTitle(st),
			System:      st.System,
		}
		p.Chart.Markers = markers
		p.Analytics, err = analytics.View(ctx, s.analytics, st.Training.RunID, "")
		p.Chart.Markers = append(p.Chart.Markers, p.Analytics.WarningMarkers()...)
		return err
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

// chartView is the page's loss chart: the whole run, thinned by LTTB to
// at most chartPoints points so that spikes and the start stay in view.
func (s *Server) chartView(runID int64, points []fmnist.LossPoint, batchesPerEpoch int) views.ChartView {
	points = downsample.LTTB(points, s.chartPoints, lossXY)
	v := views.ChartView{
		Run: runID, MaxPoints: s.chartPoints, Points: make([]views.LossPoint, len(points)),
		BatchesPerPoint: fmnist.BatchesPerLossPoint(batchesPerEpoch),
	}
	for i, p := range points {
		v.Points[i] = views.LossPoint{Epoch: p.Epoch, Loss: p.Loss, LR: p.LR}
	}
	return v
}

// batchesPerEpoch is the current (or last) run's epoch length in batches:
// the trainer's own count once it has reported, else the configuration's
// on the dataset; 0 when neither is known.
func batchesPerEpoch(st fmnist.State) int {
	if b := st.Training.Progress.Batches; b > 0 {
		return b
	}
	if cfg := st.Training.Config; cfg.BatchSize > 0 && st.Dataset.Train > 0 {
		return cfg.BatchesPerEpoch(st.Dataset.Train)
	}
	return 0
}
