package handlers

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/a-h/templ"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/analytics"
	"github.com/fmnist/trainer/handlers/apijson"
	"github.com/fmnist/trainer/handlers/live"
	"github.com/fmnist/trainer/views"
	"github.com/fmnist/trainer/views/systemview"
)

// Publish turns one update of the service into Server-Sent Events, each
// rendered twice: as the page reads it (HTML fragments for htmx; JSON for
// the chart's loss and epoch) and as scripts read it (?format=json, see
// eventjson.go). It implements fmnist.Publisher; it never waits for a viewer.
func (s *Server) Publish(u fmnist.Update) {
	// pillChanged: only the status line changed, not what the buttons or
	// the predictions panel show.
	datasetChanged, statusChanged, progressed, pillChanged := false, false, false, false
	var statusRun int64 // the run whose status changed; 0 if only the dataset's did
	for _, e := range u.Dataset {
		switch e := e.(type) {
		case fmnist.DownloadRetry:
			datasetChanged = true
		case fmnist.DownloadProgress, fmnist.DatasetVerifying:
			datasetChanged, pillChanged, progressed = true, true, true
		case fmnist.StatusChange:
			datasetChanged, statusChanged, progressed = true, true, true
		case fmnist.LogEntry:
			s.send(fmnist.EventLog, 0, views.LogEntry(views.LogViewOf(e)), apijson.LogOf(e, 0))
		}
	}
	for _, e := range u.Train {
		switch e := e.(type) {
		case fmnist.Progress:
			progressed = true
		case fmnist.LossPoint:
			s.sendJSON(fmnist.EventLoss, u.RunID, apijson.Loss{
				Run: u.RunID, Epoch: e.Epoch, Loss: e.Loss, LR: e.LR,
				BatchesPerPoint: fmnist.BatchesPerLossPoint(batchesPerEpoch(u.State)),
			})
		case fmnist.LRChange:
			s.sendJSON(fmnist.EventLR, u.RunID, apijson.LRChange{Run: u.RunID, Epoch: e.Epoch, LR: e.LR, Scale: e.Scale})
		case fmnist.LogEntry:
			s.send(fmnist.EventLog, u.RunID, views.LogEntry(views.LogViewOf(e)), apijson.LogOf(e, u.RunID))
		case fmnist.Evaluating:
			progressed, pillChanged, statusRun = true, true, u.RunID
		case fmnist.EpochResult:
			progressed, pillChanged, statusRun = true, true, u.RunID
			s.sendJSON(fmnist.EventEpoch, u.RunID, apijson.EpochEvent{Run: u.RunID, EpochResult: apijson.EpochResultOf(e)})
		case fmnist.EpochAnalysis:
			page, data := analytics.ConfusionEvent(u.RunID, e)
			s.send(fmnist.EventConfusion, u.RunID, page, data)
		case fmnist.Warning:
			page, data := analytics.WarningEvent(u.RunID, e)
			s.send(fmnist.EventWarning, u.RunID, page, data)
		case fmnist.SystemSample:
			s.send(fmnist.EventSystem, u.RunID, systemview.Panel(e), apijson.SystemOf(e, u.RunID))
		case fmnist.StatusChange, fmnist.CheckpointSaved:
			statusChanged, progressed, statusRun = true, true, u.RunID
		}
	}
	st := u.State
	if datasetChanged {
		s.send(fmnist.EventDataset, 0, views.DatasetPanel(views.DatasetViewOf(st.Dataset), ""), apijson.DatasetOf(st.Dataset))
	}
	if progressed {
		s.send(fmnist.EventProgress, u.RunID, views.ProgressEvent(views.ProgressViewOf(st)), apijson.ProgressOf(st.Training))
	}
	if statusChanged || pillChanged {
		s.send(fmnist.EventStatus, statusRun, views.StatusEvent(views.StatusViewOf(st), views.ButtonsViewOf(st)), apijson.StatusEventOf(st))
	}
	if statusChanged {
		p := s.predictor.LastPredictions()
		s.send(fmnist.EventPredictions, 0, views.PredictionsPanel(views.PredictionsViewOf(st, p), ""), apijson.PredictionsOf(p))
	}
}

// send publishes an event rendered as an HTML fragment for the page and as
// v in JSON for scripts; run is the run it is about (0: none).
func (s *Server) send(kind fmnist.EventKind, run int64, c templ.Component, v any) {
	ev, err := renderEvent(context.Background(), kind, run, c, v)
	if err != nil {
		s.log.Error("render event", "event", kind, "err", err)
		return
	}
	s.hub.Publish(ev)
}

// renderEvent renders an event in both formats.
func renderEvent(ctx context.Context, kind fmnist.EventKind, run int64, c templ.Component, v any) (live.Event, error) {
	ev := live.Event{Name: string(kind), Run: run}
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return ev, err
	}
	ev.HTML = buf.Bytes()
	data, err := json.Marshal(v)
	if err != nil {
		return ev, err
	}
	ev.JSON = data
	return ev, nil
}

// sendJSON publishes an event that is JSON for the page as well.
func (s *Server) sendJSON(kind fmnist.EventKind, run int64, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode event", "event", kind, "err", err)
		return
	}
	s.hub.Publish(live.Event{Name: string(kind), Run: run, HTML: data, JSON: data})
}
