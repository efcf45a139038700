package handlers

import (
	"context"
	"fmt"

	"github.com/a-h/templ"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/apijson"
	"github.com/fmnist/trainer/handlers/live"
	"github.com/fmnist/trainer/views"
)

// catchUp renders the live panels of the page as they are now, for a viewer
// whose page outlived a restart (EventSource reconnects by itself with the
// last id it saw, which this process cannot replay from). Without them a
// page left open would show a dead run as training until reloaded.
// It implements live.CatchUp: join runs while no update can be published.
func (s *Server) catchUp(ctx context.Context, join func([]live.Panel)) error {
	return s.state.Consistent(func(st fmnist.State) error {
		logs, err := s.runs.RecentLogs(ctx, views.MaxLogEntries)
		if err != nil {
			return fmt.Errorf("read the log: %w", err)
		}
		run, pred := st.Training.RunID, s.predictor.LastPredictions()
		parts := []struct {
			kind fmnist.EventKind
			run  int64
			c    templ.Component
			json any
		}{
			{fmnist.EventDataset, 0, views.DatasetPanel(views.DatasetViewOf(st.Dataset), ""), apijson.DatasetOf(st.Dataset)},
			{fmnist.EventStatus, run, views.StatusEvent(views.StatusViewOf(st), views.ButtonsViewOf(st)), apijson.StatusEventOf(st)},
			{fmnist.EventProgress, run, views.ProgressEvent(views.ProgressViewOf(st)), apijson.ProgressOf(st.Training)},
			{fmnist.EventPredictions, 0, views.PredictionsPanel(views.PredictionsViewOf(st, pred), ""), apijson.PredictionsOf(pred)},
			{fmnist.EventLogs, 0, views.LogEntries(views.LogViewsOf(logs)), apijson.LogsOf(logs)},
		}
		panels := make([]live.Panel, len(parts))
		for i, p := range parts {
			ev, err := renderEvent(ctx, p.kind, p.run, p.c, p.json)
			if err != nil {
				return fmt.Errorf("render the %s panel: %w", p.kind, err)
			}
			panels[i] = ev
		}
		join(panels)
		return nil
	})
}
