package views

import (
	"path/filepath"
	"strconv"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// The dashboard's panels built from the app's state: handlers pass the
// state, and these say what each panel shows.

// DatasetViewOf is the dataset panel of d.
func DatasetViewOf(d fmnist.DatasetState) DatasetView {
	v := DatasetView{State: DatasetState(d.Status), TrainCount: d.Train, TestCount: d.Test}
	switch d.Status {
	case fmnist.StatusIdle, "":
		v.State, v.Notice = DatasetIdle, d.Reason
	case fmnist.StatusDownloading:
		v.File, v.Done, v.Total = d.Progress.File, d.Progress.Done, d.Progress.Total
		v.FileDone, v.FileTotal = d.Progress.FileDone, d.Progress.FileTotal
		if d.Retry != nil {
			v.Retry = d.Retry.Message()
		}
	case fmnist.StatusFailed:
		v.Error = d.Reason
	}
	return v
}

// StatusViewOf is the status line of st: the run while one trains, else
// the dataset while it downloads or after it failed, else the last run.
func StatusViewOf(st fmnist.State) StatusView {
	t, d := st.Training, st.Dataset
	v := StatusView{State: t.Status, TabTitle: TabTitle(st)}
	switch {
	case t.Running() && t.Evaluating.Epoch > 0:
		v.Label = "Evaluating"
		v.Message = "epoch " + strconv.Itoa(t.Evaluating.Epoch) + " on " + formatCount(t.Evaluating.Images) + " test images"
	case t.Running():
	case d.Status == fmnist.StatusDownloading:
		v.State, v.Message = d.Status, downloadPhrase(d)
		if d.Verifying {
			v.Label = "Verifying dataset"
		}
		return v
	case d.Status == fmnist.StatusFailed:
		v.State, v.Label, v.Message = d.Status, "Download failed", d.Reason
		return v
	case t.Reason != "":
		v.Message = t.Reason
	case t.Checkpoint.Path != "":
		v.Message = "Checkpoint " + filepath.Base(t.Checkpoint.Path) + checkpointNote(t.Checkpoint)
	case t.Status == fmnist.StatusIdle && d.Status != fmnist.StatusReady:
		v.Message = "Download the dataset to start"
	case t.Status == fmnist.StatusIdle:
		v.Message = "Ready to train"
	}
	if t.Reason != "" && t.Checkpoint.Path != "" && !t.Running() {
		// An interrupted or failed run still names what it saved last.
		v.Message = joinStatus(v.Message, "last checkpoint "+filepath.Base(t.Checkpoint.Path)+checkpointNote(t.Checkpoint))
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

// checkpointNote says in brackets where in its run checkpoint c was saved.
func checkpointNote(c fmnist.Checkpoint) string {
	return " (" + checkpointWhen(CheckpointView{Epoch: c.Epoch, Batch: c.Batch}) + ")"
}

// ButtonsViewOf says which training buttons st allows.
func ButtonsViewOf(st fmnist.State) ButtonsView {
	b := ButtonsView{
		CanStart: st.Dataset.Status == fmnist.StatusReady && !st.Busy(),
		CanStop:  st.Training.Status == fmnist.StatusTraining,
	}
	t := st.Training
	if b.CanStart && (t.Status == fmnist.StatusStopped || t.Status == fmnist.StatusInterrupted) && t.Checkpoint.Path != "" {
		b.ResumeRunID = t.RunID
	}
	if t.Status.Ended() && t.Checkpoint.Path != "" {
		b.ExportRunID = t.RunID
	}
	return b
}

// FormValuesOf fills the training form from a config (the last run's, or the
// defaults).
func FormValuesOf(cfg fmnist.Config) FormValues {
	if cfg.Epochs == 0 {
		cfg = fmnist.DefaultConfig()
	}
	return NewFormValues(cfg)
}

// ProgressViewOf is the progress panel of st: the current (or last) run,
// and the dataset's phase while it is not ready.
func ProgressViewOf(st fmnist.State) ProgressView {
	t := st.Training
	p := t.Progress
	v := ProgressView{
		Epoch: p.Epoch, Epochs: p.Epochs, Batch: p.Batch, Batches: p.Batches,
		Loss: p.Loss, AvgLoss: p.AvgLoss, Percent: p.Percent, ImagesPerSec: p.ImagesPerSec,
		Status: t.Status, TabTitle: TabTitle(st),
	}
	v.Dataset, v.DatasetFailed = datasetPhase(st.Dataset)
	// The subtitle is the status line's pill: "Evaluating", "Downloading
	// dataset"...
	if s := StatusViewOf(st); s.Label != "" || s.State != t.Status {
		v.Label = s.label()
	}
	if t.RunID > 0 {
		v.Config = RunConfigLine(t.RunID, t.Config, st.Dataset.Train)
	}
	if v.Epochs == 0 && t.RunID > 0 {
		v.Epochs = t.Config.Epochs
	}
	if t.LastEpoch.Epoch > 0 {
		v.LastAccuracy, v.HasLastAccuracy = t.LastEpoch.TestAccuracy, true
		v.LastAccuracySource = epochEvaluation(t.LastEpoch.Epoch)
	}
	if t.Running() {
		v.EvaluatingImages = t.Evaluating.Images
		if !t.Since.IsZero() {
			v.Elapsed, v.HasElapsed = time.Since(t.Since), true
		}
		v.Remaining, v.HasRemaining = remaining(t, time.Now())
	}
	return v
}

// LogViewsOf are log lines as the page shows them.
func LogViewsOf(entries []fmnist.LogEntry) []LogView {
	out := make([]LogView, len(entries))
	for i, e := range entries {
		out[i] = LogViewOf(e)
	}
	return out
}

// LogViewOf is one log line as the page shows it.
func LogViewOf(e fmnist.LogEntry) LogView {
	return LogView{Time: e.Time, Level: e.Level, Message: e.Message}
}

// PredictionsViewOf is the predictions panel: p, if any, with what st allows.
func PredictionsViewOf(st fmnist.State, p *fmnist.Predictions) PredictionsView {
	v := PredictionsView{HasModel: st.HasModel && st.Dataset.Status == fmnist.StatusReady}
	if p == nil {
		return v
	}
	v.Accuracy, v.HasAccuracy = p.Accuracy.Overall, true
	v.AccuracySource = checkpointSource(p.RunID, p.CheckpointEpoch, p.CheckpointBatch)
	for _, it := range p.Items {
		v.Items = append(v.Items, PredictionView{
			Index:       it.Index,
			Predicted:   fmnist.ClassNames[it.Predicted],
			Actual:      fmnist.ClassNames[it.Label],
			Probability: it.Probabilities[it.Predicted],
		})
	}
	return v
}
