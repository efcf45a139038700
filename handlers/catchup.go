package handlers

import (
	"context"
	"fmt"

	"github.com/a-h/templ"

	"github.com/fmnist/trainer/fmnist"
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
		parts := []struct {
			kind fmnist.EventKind
			c    templ.Component
		}{
			{fmnist.EventDataset, views.DatasetPanel(datasetView(st.Dataset), "")},
			{fmnist.EventStatus, views.StatusEvent(statusView(st), buttonsView(st))},
			{fmnist.EventProgress, views.ProgressPanel(progressView(st.Training))},
			{fmnist.EventPredictions, views.PredictionsPanel(predictionsView(st, s.predictor.LastPredictions()), "")},
			{fmnist.EventLogs, views.LogEntries(logViews(logs))},
		}
		panels := make([]live.Panel, len(parts))
		for i, p := range parts {
			data, err := renderFragment(ctx, p.c)
			if err != nil {
				return fmt.Errorf("render the %s panel: %w", p.kind, err)
			}
			panels[i] = live.Panel{Name: string(p.kind), Data: data}
		}
		join(panels)
		return nil
	})
}
