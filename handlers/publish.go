package handlers

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/a-h/templ"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// Publish turns one update of the service into Server-Sent Events: HTML
// fragments for htmx (dataset, status, progress, log) and JSON for scripts
// and the chart (loss, epoch). It implements fmnist.Publisher; it never waits
// for a viewer.
func (s *Server) Publish(u fmnist.Update) {
	datasetChanged, statusChanged, progressed := false, false, false
	for _, e := range u.Dataset {
		switch e := e.(type) {
		case fmnist.DownloadProgress, fmnist.DownloadRetry:
			datasetChanged = true
		case fmnist.StatusChange:
			datasetChanged, statusChanged = true, true
		case fmnist.LogEntry:
			s.sendFragment(fmnist.EventLog, views.LogEntry(logView(e)))
		}
	}
	for _, e := range u.Train {
		switch e := e.(type) {
		case fmnist.Progress:
			progressed = true
		case fmnist.LossPoint:
			s.sendJSON(fmnist.EventLoss, lossEvent{Run: u.RunID, Epoch: e.Epoch, Loss: e.Loss})
		case fmnist.LogEntry:
			s.sendFragment(fmnist.EventLog, views.LogEntry(logView(e)))
		case fmnist.EpochResult:
			progressed = true
			s.sendJSON(fmnist.EventEpoch, epochEvent{Run: u.RunID, apiEpoch: epochJSON(e)})
		case fmnist.StatusChange, fmnist.CheckpointSaved:
			statusChanged, progressed = true, true
		}
	}
	st := u.State
	if datasetChanged {
		s.sendFragment(fmnist.EventDataset, views.DatasetPanel(datasetView(st.Dataset), ""))
	}
	if progressed {
		s.sendFragment(fmnist.EventProgress, views.ProgressPanel(progressView(st.Training)))
	}
	if statusChanged {
		s.sendFragment(fmnist.EventStatus, views.StatusEvent(statusView(st), buttonsView(st)))
		s.sendFragment(fmnist.EventPredictions, views.PredictionsPanel(predictionsView(st, s.predictor.LastPredictions()), ""))
	}
}

// lossEvent is the JSON of the "loss" event: one point of a run's curve.
type lossEvent struct {
	Run   int64   `json:"run"`
	Epoch float64 `json:"epoch"`
	Loss  float64 `json:"loss"`
}

// epochEvent is the JSON of the "epoch" event: an epoch as the API shows
// it, with its run.
type epochEvent struct {
	Run int64 `json:"run"`
	apiEpoch
}

func (s *Server) sendFragment(kind fmnist.EventKind, c templ.Component) {
	data, err := renderFragment(context.Background(), c)
	if err != nil {
		s.log.Error("render event fragment", "event", kind, "err", err)
		return
	}
	s.hub.Send(string(kind), data)
}

// renderFragment renders the HTML fragment an event carries.
func renderFragment(ctx context.Context, c templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	err := c.Render(ctx, &buf)
	return buf.Bytes(), err
}

func (s *Server) sendJSON(kind fmnist.EventKind, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode event", "event", kind, "err", err)
		return
	}
	s.hub.Send(string(kind), data)
}
