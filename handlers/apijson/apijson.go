// Package apijson holds the JSON shapes of the API and of the event
// stream's ?format=json: plain structs built from the domain's types, in one
// place so that a run, a checkpoint or a prediction reads the same wherever
// it appears.
package apijson

import (
	"fmt"
	"math"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// Dataset is the dataset part of GET /api/status and the "dataset" event.
type Dataset struct {
	Status    fmnist.Status `json:"status"`
	Reason    string        `json:"reason,omitempty"`
	File      string        `json:"file,omitempty"`
	BytesDone int64         `json:"bytes_done"`
	BytesAll  int64         `json:"bytes_total"`
	Train     int           `json:"train_images"`
	Test      int           `json:"test_images"`
	Retry     *Retry        `json:"retry,omitempty"`
	// Verifying: every byte is in, and the files are being checked and read.
	Verifying bool `json:"verifying,omitempty"`
}

// Retry is the latest retry of a download in progress.
type Retry struct {
	File        string  `json:"file"`
	Mirror      string  `json:"mirror"`
	Attempt     int     `json:"attempt"`
	Attempts    int     `json:"attempts"`
	WaitSeconds float64 `json:"wait_seconds"`
	Message     string  `json:"message"`
}

// Progress is the latest batch of a run.
type Progress struct {
	Epoch        int     `json:"epoch"`
	Epochs       int     `json:"epochs"`
	Batch        int     `json:"batch"`
	Batches      int     `json:"batches"`
	Loss         float64 `json:"loss"`
	AvgLoss      float64 `json:"avg_loss"`
	Percent      float64 `json:"percent"`
	ImagesPerSec float64 `json:"images_per_sec"`
}

// Training is the training part of GET /api/status.
type Training struct {
	Status     fmnist.Status  `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	RunID      int64          `json:"run_id,omitempty"`
	Config     *fmnist.Config `json:"config,omitempty"`
	Progress   Progress       `json:"progress"`
	Checkpoint string         `json:"checkpoint,omitempty"`
	// EvaluatingEpoch is the epoch whose test evaluation runs now; 0 (left
	// out) at any other time.
	EvaluatingEpoch int `json:"evaluating_epoch,omitempty"`
}

// Status is GET /api/status.
type Status struct {
	Dataset     Dataset  `json:"dataset"`
	Training    Training `json:"training"`
	HasModel    bool     `json:"has_model"`
	LastEventID uint64   `json:"last_event_id"`
	Viewers     int      `json:"viewers"`
}

// Run is a run as GET /api/runs lists it.
type Run struct {
	ID              int64         `json:"id"`
	Config          fmnist.Config `json:"config"`
	Status          fmnist.Status `json:"status"`
	Reason          string        `json:"reason,omitempty"`
	StartedAt       time.Time     `json:"started_at"`
	EndedAt         *time.Time    `json:"ended_at,omitempty"`
	DurationSeconds float64       `json:"duration_seconds"` // until now while it trains
	EpochsDone      int           `json:"epochs_done"`
	// TestAccuracy and TestLoss are the final ones: of the latest epoch.
	TestAccuracy     *float64   `json:"test_accuracy,omitempty"`
	TestLoss         *float64   `json:"test_loss,omitempty"`
	BestTestAccuracy *float64   `json:"best_test_accuracy,omitempty"`
	ImagesPerSec     *float64   `json:"images_per_sec,omitempty"` // mean over its epochs
	Parent           *ForkPoint `json:"parent,omitempty"`
}

// ForkPoint is where a fork left its parent; the ids are 0 once deleted.
type ForkPoint struct {
	RunID        int64 `json:"run_id"`
	CheckpointID int64 `json:"checkpoint_id"`
	Epoch        int   `json:"epoch"`
	Batch        int   `json:"batch"`
}

// RunOf is r as the API shows it, its duration counted until now while it trains.
func RunOf(r fmnist.Run) Run {
	out := Run{ID: r.ID, Config: r.Config, Status: r.Status, Reason: r.Reason, StartedAt: r.StartedAt,
		DurationSeconds: r.Duration(time.Now()).Seconds(), EpochsDone: r.EpochsDone,
		TestAccuracy: Optional(r.TestAccuracy), TestLoss: Optional(r.TestLoss),
		BestTestAccuracy: Optional(r.BestTestAccuracy), ImagesPerSec: Optional(r.ImagesPerSec)}
	if p := r.Parent; p != nil {
		out.Parent = &ForkPoint{RunID: p.RunID, CheckpointID: p.CheckpointID, Epoch: p.Epoch, Batch: p.Batch}
	}
	if !r.EndedAt.IsZero() {
		t := r.EndedAt
		out.EndedAt = &t
	}
	return out
}

// Optional drops a value JSON cannot carry (a diverged loss is NaN).
func Optional(f *float64) *float64 {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return nil
	}
	return f
}

// Point is a point of the loss curve; a NaN loss (a diverged run) is null.
type Point struct {
	Epoch float64  `json:"epoch"`
	Loss  *float64 `json:"loss"`
	LR    float64  `json:"lr,omitempty"` // the learning rate in use; absent for runs stored before it was
}

// Points converts a curve; the losses share one backing array rather
// than one allocation each, as a long run has hundreds of thousands.
func Points(points []fmnist.LossPoint) []Point {
	out, losses := make([]Point, len(points)), make([]float64, len(points))
	for i, p := range points {
		losses[i] = p.Loss
		out[i] = Point{Epoch: p.Epoch, Loss: Optional(&losses[i]), LR: p.LR}
	}
	return out
}

// EpochResult is an epoch's result; what JSON cannot carry (the NaN loss of a
// diverged run) is null.
type EpochResult struct {
	Epoch        int      `json:"epoch"`
	TestAccuracy *float64 `json:"test_accuracy"`
	TestLoss     *float64 `json:"test_loss"`
	TrainLoss    *float64 `json:"train_loss"`
	ImagesPerSec *float64 `json:"images_per_sec"`
	Seconds      *float64 `json:"seconds"`
	// On the held-out validation images; absent when the run held none out.
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
}

// EpochResultOf is e as the API shows it.
func EpochResultOf(e fmnist.EpochResult) EpochResult {
	out := EpochResult{Epoch: e.Epoch, TestAccuracy: Optional(&e.TestAccuracy), TestLoss: Optional(&e.TestLoss),
		TrainLoss: Optional(&e.TrainLoss), ImagesPerSec: Optional(&e.ImagesPerSec), Seconds: Optional(&e.Seconds)}
	if e.ValImages > 0 {
		out.ValAccuracy, out.ValLoss = Optional(&e.ValAccuracy), Optional(&e.ValLoss)
	}
	return out
}

// Checkpoint is a saved model of a run.
type Checkpoint struct {
	ID        int64     `json:"id"`
	Path      string    `json:"path"`
	Epoch     int       `json:"epoch"`
	Batch     int       `json:"batch"`
	CreatedAt time.Time `json:"created_at"`
}

// Resume marks where a run was resumed: x is the epoch on its curve.
type Resume struct {
	CheckpointID int64     `json:"checkpoint_id"`
	Epoch        int       `json:"epoch"`
	Batch        int       `json:"batch"`
	X            float64   `json:"x"`
	ResumedAt    time.Time `json:"resumed_at"`
}

// Prediction is one test image with the model's answer.
type Prediction struct {
	Index         int                        `json:"index"`
	Predicted     int                        `json:"predicted"`
	PredictedName string                     `json:"predicted_name"`
	Label         int                        `json:"label"`
	LabelName     string                     `json:"label_name"`
	Correct       bool                       `json:"correct"`
	Probabilities [fmnist.NumClasses]float64 `json:"probabilities"`
	Image         string                     `json:"image"`
}

// StatusEvent is the "status" event: the dataset and training parts of
// GET /api/status.
type StatusEvent struct {
	Dataset  Dataset  `json:"dataset"`
	Training Training `json:"training"`
	HasModel bool     `json:"has_model"`
}

// StatusEventOf is the "status" event of state st.
func StatusEventOf(st fmnist.State) StatusEvent {
	d, t := st.Dataset, st.Training
	out := StatusEvent{Dataset: DatasetOf(d), HasModel: st.HasModel,
		Training: Training{Status: t.Status, Reason: t.Reason, RunID: t.RunID, Checkpoint: t.Checkpoint.Path,
			Progress: ProgressOf(t), EvaluatingEpoch: t.Evaluating.Epoch}}
	if t.RunID > 0 {
		cfg := t.Config
		out.Training.Config = &cfg
	}
	return out
}

// DatasetOf is the "dataset" event, as in GET /api/status.
func DatasetOf(d fmnist.DatasetState) Dataset {
	out := Dataset{Status: d.Status, Reason: d.Reason, File: d.Progress.File,
		BytesDone: d.Progress.Done, BytesAll: d.Progress.Total, Train: d.Train, Test: d.Test, Verifying: d.Verifying}
	if r := d.Retry; r != nil {
		out.Retry = &Retry{File: r.File, Mirror: r.Mirror, Attempt: r.Attempt, Attempts: r.Attempts,
			WaitSeconds: r.Wait.Seconds(), Message: r.Message()}
	}
	return out
}

// ProgressOf is the "progress" event: the latest batch of the run.
func ProgressOf(t fmnist.TrainingState) Progress { return Progress(t.Progress) }

// Log is the "log" event: one log line; Run is null for a line about
// no run (the dataset).
type Log struct {
	Time    time.Time    `json:"time"`
	Level   fmnist.Level `json:"level"`
	Message string       `json:"message"`
	Run     *int64       `json:"run"`
}

// LogOf is the "log" event of e; run is 0 for a line about no run.
func LogOf(e fmnist.LogEntry, run int64) Log {
	out := Log{Time: e.Time, Level: e.Level, Message: e.Message}
	if run > 0 {
		out.Run = &run
	}
	return out
}

// LogsOf is the "logs" event (sent to a viewer that outlived a restart):
// the newest lines, oldest first, without their runs (the log keeps none).
func LogsOf(entries []fmnist.LogEntry) []Log {
	out := make([]Log, len(entries))
	for i, e := range entries {
		out[i] = LogOf(e, 0)
	}
	return out
}

// Predictions is the answer of POST /api/predictions and the
// "predictions" event.
type Predictions struct {
	RunID        int64              `json:"run_id"`
	CheckpointID int64              `json:"checkpoint_id"`
	Checkpoint   string             `json:"checkpoint"`
	Accuracy     float64            `json:"test_accuracy"`
	PerClass     map[string]float64 `json:"per_class_accuracy"`
	Predictions  []Prediction       `json:"predictions"`
}

// PredictionsOf is the "predictions" event: null until a model predicted.
func PredictionsOf(p *fmnist.Predictions) *Predictions {
	if p == nil {
		return nil
	}
	out := &Predictions{RunID: p.RunID, CheckpointID: p.CheckpointID, Checkpoint: p.Checkpoint,
		Accuracy: p.Accuracy.Overall, PerClass: map[string]float64{},
		Predictions: []Prediction{}}
	for i, a := range p.Accuracy.PerClass {
		out.PerClass[fmnist.ClassNames[i]] = a
	}
	for _, it := range p.Items {
		out.Predictions = append(out.Predictions, Prediction{
			Index: it.Index, Predicted: it.Predicted, PredictedName: fmnist.ClassNames[it.Predicted],
			Label: it.Label, LabelName: fmnist.ClassNames[it.Label], Correct: it.Predicted == it.Label,
			Probabilities: it.Probabilities, Image: fmt.Sprintf("/predictions/image/%d.png", it.Index),
		})
	}
	return out
}

// LRChange is the JSON of the "lr" event: the learning rate changed live
// from the batch at Epoch (on the curve's x axis); the schedule continues
// scaled by Scale.
type LRChange struct {
	Run   int64   `json:"run"`
	Epoch float64 `json:"epoch"`
	LR    float64 `json:"lr"`
	Scale float64 `json:"scale"`
}

// Loss is the JSON of the "loss" event: one point of a run's curve.
type Loss struct {
	Run   int64   `json:"run"`
	Epoch float64 `json:"epoch"`
	Loss  float64 `json:"loss"`
	// BatchesPerPoint is how many batches the point averages (the run's
	// first point: that batch alone); left out when unknown.
	BatchesPerPoint int     `json:"batches_per_point,omitempty"`
	LR              float64 `json:"lr,omitempty"` // the learning rate in use
}

// EpochEvent is the JSON of the "epoch" event: an epoch as the API shows
// it, with its run.
type EpochEvent struct {
	Run int64 `json:"run"`
	EpochResult
}
