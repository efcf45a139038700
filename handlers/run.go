package handlers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/analytics"
	"github.com/fmnist/trainer/views"
)

// A run's page (GET /runs/{id}) and predictions from one of its checkpoints
// (POST /runs/{id}/predictions, which answers with the page).

// runLogPage is how many log lines a page of a run's log shows.
const runLogPage = 50

func (s *Server) runPage(c echo.Context) error {
	id, err := pageRunID(c)
	if err != nil {
		return err
	}
	v, err := s.runView(c, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.RunPage(v))
}

func (s *Server) runPredict(c echo.Context) error {
	id, err := pageRunID(c)
	if err != nil {
		return err
	}
	ckpt, err := strconv.ParseInt(c.FormValue("checkpoint_id"), 10, 64)
	if err != nil || ckpt < 1 {
		return fmnist.FieldError("checkpoint_id", "pick a checkpoint of the run")
	}
	p, predictErr := s.predictor.PredictFrom(c.Request().Context(),
		fmnist.PredictionRequest{RunID: id, CheckpointID: ckpt, Count: predictionCount})
	v, err := s.runView(c, id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if predictErr != nil {
		pr := problemOf(predictErr, c)
		if pr.Status >= 500 {
			s.log.Error("predictions failed", "run", id, "checkpoint", ckpt, "err", predictErr)
		}
		status, v.PredictionError = pr.Status, pr.Message
	} else {
		pv := views.PredictionsViewOf(fmnist.State{}, p)
		v.Predictions, v.PredictedFrom = &pv, filepath.Base(p.Checkpoint)
	}
	return render(c, status, views.RunPage(v))
}

// runView reads everything a run's page shows, consistent with the event
// id it resumes from while the run trains.
func (s *Server) runView(c echo.Context, id int64) (views.RunView, error) {
	ctx := c.Request().Context()
	v := views.RunView{CSRF: csrfToken(c)}
	err := s.state.Consistent(func(st fmnist.State) error {
		run, err := s.runs.Run(ctx, id)
		if err != nil {
			return err
		}
		sums := fmnist.RunSummary{Run: run}
		epochs, err := s.runs.EpochResults(ctx, id)
		if err != nil {
			return fmt.Errorf("read run %d: %w", id, err)
		}
		v.Epochs = views.EpochViews(epochs)
		for _, e := range epochs {
			sums.ImagesPerSec += e.ImagesPerSec / float64(len(epochs))
			if sums.BestAccuracy == nil || e.TestAccuracy > *sums.BestAccuracy {
				sums.BestAccuracy = &e.TestAccuracy
			}
		}
		v.Run = views.NewRunRow(sums)
		if v.Loss, err = s.runLoss(ctx, id); err != nil {
			return err
		}
		if v.Loss.Markers, err = s.runMarkersOf(ctx, id, run.Config, epochs, st.Dataset.Train); err != nil {
			return err
		}
		v.Loss.OneRun, v.Loss.Smooth = true, smoothParam(c)
		if run.Config.BatchSize > 0 && st.Dataset.Train > 0 {
			v.Loss.BatchesPerPoint = fmnist.BatchesPerLossPoint(run.Config.BatchesPerEpoch(st.Dataset.Train))
		}
		if v.Checkpoints, err = s.checkpointViews(ctx, id); err != nil {
			return err
		}
		if v.Logs, err = s.runLogView(c, id); err != nil {
			return err
		}
		if v.Analytics, err = analytics.View(ctx, s.analytics, id, c.QueryParam("epoch")); err != nil {
			return err
		}
		v.Loss.Markers = append(v.Loss.Markers, v.Analytics.WarningMarkers()...)
		if st.Training.RunID == id && st.Training.Running() {
			v.Live, v.LastEventID = true, s.hub.LastID()
			v.Status, v.Progress = views.StatusViewOf(st), views.ProgressViewOf(st)
		}
		return nil
	})
	return v, err
}

// runLoss is a run's loss curve, decimated to views.MaxSeriesPoints.
func (s *Server) runLoss(ctx context.Context, id int64) (views.ChartView, error) {
	points, err := s.runs.LossPoints(ctx, id)
	if err != nil {
		return views.ChartView{}, fmt.Errorf("read run %d: %w", id, err)
	}
	all := make([]views.LossPoint, len(points))
	for i, p := range points {
		all[i] = views.LossPoint(p)
	}
	return views.ChartView{Run: id, MaxPoints: views.MaxSeriesPoints, Points: views.Decimate(all, views.MaxSeriesPoints)}, nil
}

func (s *Server) checkpointViews(ctx context.Context, id int64) ([]views.CheckpointView, error) {
	cks, err := s.history.RunCheckpoints(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	return views.CheckpointViews(cks), nil
}

// runLogView is the page of the run's log that ?page= and ?level= ask for.
func (s *Server) runLogView(c echo.Context, id int64) (views.LogPageView, error) {
	l := views.LogPageView{Level: c.QueryParam("level"), Page: 1}
	switch fmnist.Level(l.Level) {
	case "", fmnist.LevelDebug, fmnist.LevelInfo, fmnist.LevelWarn, fmnist.LevelError:
	default:
		l.Level = ""
	}
	if p, err := strconv.Atoi(c.QueryParam("page")); err == nil && p > 1 {
		l.Page = p
	}
	entries, total, err := s.history.RunLogs(c.Request().Context(), id,
		fmnist.LogQuery{Level: fmnist.Level(l.Level), Limit: runLogPage, Offset: (l.Page - 1) * runLogPage})
	if err != nil {
		return l, fmt.Errorf("read run %d: %w", id, err)
	}
	l.Entries, l.Total, l.Pages = views.LogViewsOf(entries), total, max(1, (total+runLogPage-1)/runLogPage)
	return l, nil
}
