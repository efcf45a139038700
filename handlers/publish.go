package handlers

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/a-h/templ"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/ml"
	"github.com/fmnist/trainer/views"
)

// Publish turns one update of the service into Server-Sent Events: HTML
// fragments for htmx (dataset, status, progress, log) and JSON for scripts
// and the chart (loss, epoch). It implements app.Publisher; it never waits
// for a viewer.
func (s *Server) Publish(u app.Update) {
	datasetChanged, statusChanged, progressed := false, false, false
	for _, e := range u.Dataset {
		switch e := e.(type) {
		case ml.DownloadProgress:
			datasetChanged = true
		case ml.StatusChange:
			datasetChanged, statusChanged = true, true
		case ml.LogEntry:
			s.sendFragment(views.EventLog, views.LogEntry(logView(e)))
		}
	}
	for _, e := range u.Train {
		switch e := e.(type) {
		case ml.Progress:
			progressed = true
		case ml.LossPoint:
			s.sendJSON(views.EventLoss, views.LossEvent{Run: u.RunID, Epoch: e.Epoch, Loss: e.Loss})
		case ml.LogEntry:
			s.sendFragment(views.EventLog, views.LogEntry(logView(e)))
		case ml.EpochResult:
			progressed = true
			s.sendJSON("epoch", epochEvent{Run: u.RunID, apiEpoch: apiEpoch(e)})
		case ml.StatusChange, ml.CheckpointSaved:
			statusChanged, progressed = true, true
		}
	}
	st := u.State
	if datasetChanged {
		s.sendFragment(views.EventDataset, views.DatasetPanel(datasetView(st.Dataset), ""))
	}
	if progressed {
		s.sendFragment(views.EventProgress, views.ProgressPanel(progressView(st.Training)))
	}
	if statusChanged {
		s.sendFragment(views.EventStatus, views.StatusEvent(statusView(st), buttonsView(st)))
		s.sendFragment(views.EventPredictions, views.PredictionsPanel(predictionsView(st, s.svc.LastPredictions()), ""))
	}
}

// epochEvent is the JSON of the "epoch" event: an epoch as the API shows
// it, with its run.
type epochEvent struct {
	Run int64 `json:"run"`
	apiEpoch
}

func (s *Server) sendFragment(name string, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		s.log.Error("render event fragment", "event", name, "err", err)
		return
	}
	s.hub.Send(name, buf.Bytes())
}

func (s *Server) sendJSON(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode event", "event", name, "err", err)
		return
	}
	s.hub.Send(name, data)
}
