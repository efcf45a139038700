package handlers

import (
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// The JSON payloads of the stream's HTML events, for GET /events?format=json:
// the same objects as the API's where the API has them. "loss" and "epoch"
// are JSON in both formats (see publish.go).

// statusEvent is the "status" event: the dataset and training parts of
// GET /api/status.
type statusEvent struct {
	Dataset  apiDataset  `json:"dataset"`
	Training apiTraining `json:"training"`
	HasModel bool        `json:"has_model"`
}

func statusEventJSON(st fmnist.State) statusEvent {
	d, t := st.Dataset, st.Training
	out := statusEvent{Dataset: datasetJSON(d), HasModel: st.HasModel,
		Training: apiTraining{Status: t.Status, Reason: t.Reason, RunID: t.RunID, Checkpoint: t.Checkpoint.Path,
			Progress: progressJSON(t)}}
	if t.RunID > 0 {
		cfg := t.Config
		out.Training.Config = &cfg
	}
	return out
}

// datasetJSON is the "dataset" event, as in GET /api/status.
func datasetJSON(d fmnist.DatasetState) apiDataset {
	out := apiDataset{Status: d.Status, Reason: d.Reason, File: d.Progress.File,
		BytesDone: d.Progress.Done, BytesAll: d.Progress.Total, Train: d.Train, Test: d.Test}
	if r := d.Retry; r != nil {
		out.Retry = &apiRetry{File: r.File, Mirror: r.Mirror, Attempt: r.Attempt, Attempts: r.Attempts,
			WaitSeconds: r.Wait.Seconds(), Message: r.Message()}
	}
	return out
}

// progressJSON is the "progress" event: the latest batch of the run.
func progressJSON(t fmnist.TrainingState) apiProgress { return apiProgress(t.Progress) }

// logEvent is the "log" event: one log line; Run is null for a line about
// no run (the dataset).
type logEvent struct {
	Time    time.Time    `json:"time"`
	Level   fmnist.Level `json:"level"`
	Message string       `json:"message"`
	Run     *int64       `json:"run"`
}

func logJSON(e fmnist.LogEntry, run int64) logEvent {
	out := logEvent{Time: e.Time, Level: e.Level, Message: e.Message}
	if run > 0 {
		out.Run = &run
	}
	return out
}

// logsJSON is the "logs" event (sent to a viewer that outlived a restart):
// the newest lines, oldest first, without their runs (the log keeps none).
func logsJSON(entries []fmnist.LogEntry) []logEvent {
	out := make([]logEvent, len(entries))
	for i, e := range entries {
		out[i] = logJSON(e, 0)
	}
	return out
}

// apiPredictions is the answer of POST /api/predictions and the
// "predictions" event.
type apiPredictions struct {
	RunID        int64              `json:"run_id"`
	CheckpointID int64              `json:"checkpoint_id"`
	Checkpoint   string             `json:"checkpoint"`
	Accuracy     float64            `json:"test_accuracy"`
	PerClass     map[string]float64 `json:"per_class_accuracy"`
	Predictions  []apiPrediction    `json:"predictions"`
}

// predictionsJSON is the "predictions" event: null until a model predicted.
func predictionsJSON(p *fmnist.Predictions) *apiPredictions {
	if p == nil {
		return nil
	}
	out := &apiPredictions{RunID: p.RunID, CheckpointID: p.CheckpointID, Checkpoint: p.Checkpoint,
		Accuracy: p.Accuracy.Overall, PerClass: map[string]float64{},
		Predictions: []apiPrediction{}}
	for i, a := range p.Accuracy.PerClass {
		out.PerClass[fmnist.ClassNames[i]] = a
	}
	for _, it := range p.Items {
		out.Predictions = append(out.Predictions, apiPrediction{
			Index: it.Index, Predicted: it.Predicted, PredictedName: fmnist.ClassNames[it.Predicted],
			Label: it.Label, LabelName: fmnist.ClassNames[it.Label], Correct: it.Predicted == it.Label,
			Probabilities: it.Probabilities, Image: fmt.Sprintf("/predictions/image/%d.png", it.Index),
		})
	}
	return out
}
