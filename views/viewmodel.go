// Package views renders the dashboard: templ components for the full page and
// for every fragment the server swaps in over htmx or pushes over SSE. Pages
// are exported; the fragments inside them are not.
//
// The types in this file are plain data. Handlers fill them; components only
// read them. Every zero value renders something sensible (an idle dashboard).
package views

//go:generate go tool -modfile=../tools/go.mod templ generate -path ..

import (
	"math"
	"strconv"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/recipeform"
)

// MaxLogEntries is how many log lines the page keeps; app.js trims to the
// same number.
const MaxLogEntries = 50

// PageView is everything the dashboard shows on a full page load.
type PageView struct {
	// CSRF is the token for the current session; the zero value renders the
	// forms without a token (the server will then refuse the POSTs).
	CSRF string
	// AutoRefresh adds a <noscript> meta refresh every 3 s so that browsers
	// without JavaScript still follow a download or training run.
	AutoRefresh bool
	// LastEventID is the id of the newest event already reflected in this
	// page; the SSE stream resumes after it (0 means from the start).
	LastEventID uint64
	Dataset     DatasetView
	Status      StatusView
	Controls    ControlsView
	Progress    ProgressView
	Chart       ChartView
	Logs        []LogView // oldest first; only the last MaxLogEntries show
	Predictions PredictionsView
	// TabTitle is the tab's title before the app's name (see TabTitle);
	// "" reads as "Dashboard".
	TabTitle  string
	Analytics AnalyticsView
	System    fmnist.SystemSample // the latest reading during training (systemview.Panel)
}

func (p PageView) title() string {
	if p.TabTitle == "" {
		return dashboardTitle
	}
	return p.TabTitle
}

// DatasetState is where the dataset stands.
type DatasetState string

// Dataset states. The zero value "" renders like DatasetIdle.
const (
	DatasetIdle        DatasetState = "idle"
	DatasetDownloading DatasetState = "downloading"
	DatasetReady       DatasetState = "ready"
	DatasetFailed      DatasetState = "failed"
)

// DatasetView is the state of the Fashion-MNIST files on disk.
type DatasetView struct {
	State DatasetState
	// File is the file being downloaded (downloading only).
	File string
	// Done and Total are bytes over all files; Total <= 0 means unknown, so
	// the bar shows the file's own progress (FileDone of FileTotal), or
	// bytes only when that too is unknown.
	Done, Total         int64
	FileDone, FileTotal int64
	// TrainCount and TestCount are the images available (ready only).
	TrainCount, TestCount int
	// Error is why the last attempt failed (failed), or why the action just
	// asked for was refused (any state).
	Error string
	// Retry says that the mirror failed and when it is tried again, e.g.
	// "No answer from example.org (try 2 of 5), retrying in 4 s"
	// (downloading only).
	Retry string
	// Notice is why an idle dataset is not downloading, e.g. its download
	// was cancelled (idle only).
	Notice string
}

// Percent is the download progress in 0..100, or -1 when Total is unknown.
func (d DatasetView) Percent() float64 {
	if d.Total <= 0 {
		return -1
	}
	return clampPercent(float64(d.Done) / float64(d.Total) * 100)
}

// FilePercent is the progress of the file being downloaded in 0..100, or
// -1 when its size is unknown.
func (d DatasetView) FilePercent() float64 {
	if d.FileTotal <= 0 {
		return -1
	}
	return clampPercent(float64(d.FileDone) / float64(d.FileTotal) * 100)
}

// StatusView is the one-line state of the app shown above the chart; the
// zero value reads as idle. Message is optional detail, e.g. the reason for
// a failure.
type StatusView struct {
	State fmnist.Status
	// Label replaces the state's own label when a phase of it is more
	// telling, e.g. "Evaluating" while training or "Verifying dataset"
	// while downloading.
	Label   string
	Message string
	// TabTitle, if set, is the tab's title (before the app's name) that the
	// "status" event sets; see TabTitle.
	TabTitle string
}

// label is how the pill reads.
func (s StatusView) label() string {
	if s.Label != "" {
		return s.Label
	}
	return s.State.Label()
}

// ControlsView is the training form. Values are strings so that a rejected
// submission is shown exactly as typed.
type ControlsView struct {
	// Values holds the field values; the zero value shows empty fields, so
	// handlers should start from NewFormValues.
	Values FormValues
	// Errors maps a field name (fmnist.FieldEpochs...) to the message shown beside
	// it. Nil means no errors.
	Errors map[string]string
	// Message is a general line under the form, e.g. "A training run is
	// already in progress". MessageIsError colours it red instead of neutral.
	Message        string
	MessageIsError bool
	Buttons        ButtonsView
	// TrainImages is the training set's size for the schedule preview; 0
	// before the dataset is prepared (Fashion-MNIST's is assumed).
	TrainImages int
}

// FormValues are the training form fields as text. TrainLimit "" means all
// training images.
type FormValues struct {
	Epochs, BatchSize, LR, TrainLimit string
	Recipe                            RecipeValues // see recipe_form.go
	// Intent is the secondary button that sent the form (IntentPreset,
	// IntentPreview); empty for Start.
	Intent string
}

// NewFormValues renders a training configuration as form values. A
// TrainLimit of 0 (all images) leaves the field empty.
func NewFormValues(cfg fmnist.Config) FormValues {
	v := FormValues{
		Epochs:    strconv.Itoa(cfg.Epochs),
		BatchSize: strconv.Itoa(cfg.BatchSize),
		LR:        strconv.FormatFloat(cfg.LR, 'g', -1, 64),
		Recipe:    recipeform.ValuesOf(cfg.Recipe),
	}
	if cfg.TrainLimit > 0 {
		v.TrainLimit = strconv.Itoa(cfg.TrainLimit)
	}
	return v
}

// ButtonsView says which training buttons work. The zero value disables both
// and shows no Resume button.
type ButtonsView struct {
	CanStart bool // dataset ready and nothing running
	CanStop  bool // a run is training
	// ResumeRunID is the stopped or interrupted run that the Resume button
	// continues; 0 shows no button.
	ResumeRunID int64
	// ExportRunID is the ended run whose model the Export link downloads
	// (a .fmnist bundle); 0 shows no link.
	ExportRunID int64
}

// ProgressView is the live state of a training run. The zero value (Epochs
// == 0) renders a "no run yet" placeholder.
type ProgressView struct {
	Epoch, Epochs   int // Epoch is 1-based
	Batch, Batches  int // Batch is 1-based within the epoch
	Loss, AvgLoss   float64
	Percent         float64 // of the current epoch, 0..100
	ImagesPerSec    float64
	Status          fmnist.Status // of the run
	LastAccuracy    float64
	HasLastAccuracy bool // LastAccuracy is the test accuracy after the last finished epoch
	// LastAccuracySource says where LastAccuracy comes from: "epoch 2 evaluation".
	LastAccuracySource string
	// Config is the run's configuration in one line (RunConfigLine); "" without a run.
	Config string
	// EvaluatingImages is how many test images are being evaluated after
	// the epoch's last batch; 0 when no evaluation runs.
	EvaluatingImages int
	// Elapsed is how long the run has trained since it (re)started, and
	// Remaining the estimate of what is left; shown while it runs.
	Elapsed, Remaining       time.Duration
	HasElapsed, HasRemaining bool
	// Dataset is a line about a dataset that is not ready (downloading,
	// verifying, failed); DatasetFailed colours it as an error.
	Dataset       string
	DatasetFailed bool
	// TabTitle, if set, is the tab's title (before the app's name) that the
	// "progress" event sets; see TabTitle.
	TabTitle string
	// Label replaces the status's label as the panel's subtitle, e.g.
	// "Evaluating" or "Downloading dataset".
	Label string
}

// phaseLabel is the panel's subtitle.
func (p ProgressView) phaseLabel() string {
	if p.Label != "" {
		return p.Label
	}
	return p.Status.Label()
}

// ChartView feeds the loss chart. The zero value is an empty chart of run 0
// that keeps DefaultMaxPoints points.
type ChartView struct {
	Run       int64 // id of the run the points belong to
	MaxPoints int   // history length kept in the browser; <= 0 means DefaultMaxPoints
	Points    []LossPoint
	// OneRun keeps the chart on Run: live points of other runs are ignored
	// (a run's page) rather than starting a new curve (the dashboard).
	OneRun bool
	// Smooth is the ?smooth= weight the server smooths its SVG with (JS off).
	Smooth float64
	// Markers are vertical lines on the curve: epoch ends and resumes.
	Markers []ChartMarker
	// BatchesPerPoint is how many batches a point averages
	// (fmnist.BatchesPerLossPoint); 0 when unknown.
	BatchesPerPoint int
}

// ChartMarker is a labelled vertical line at X (in epochs) on a chart.
type ChartMarker struct {
	X     float64 `json:"x"`
	Label string  `json:"label"`
	Kind  string  `json:"kind"` // "epoch", "resume", "checkpoint" or "lr"
}

// DefaultMaxPoints is the chart's history length when ChartView.MaxPoints is unset.
const DefaultMaxPoints = 2000

// LossPoint is one point of the loss curve; Epoch is fractional (see fmnist.LossPoint).
type LossPoint struct {
	Epoch float64 `json:"epoch"`
	Loss  float64 `json:"loss"`
	LR    float64 `json:"lr,omitempty"` // the learning rate in use; 0 for runs stored before it was
}

// LogView is one log line. An unknown Level renders like info.
type LogView struct {
	Time    time.Time
	Level   fmnist.Level
	Message string
}

// PredictionsView is the predictions panel. The zero value says no model
// exists yet and disables the button.
type PredictionsView struct {
	HasModel bool
	// Accuracy is the model's overall test accuracy in 0..1, shown when
	// HasAccuracy is true.
	Accuracy    float64
	HasAccuracy bool
	// AccuracySource names the model Accuracy is of:
	// "run 3, checkpoint at epoch 2, batch 78".
	AccuracySource string
	Items          []PredictionView // usually 16
	// Message is shown above the grid, e.g. why predictions failed.
	Message string
}

// PredictionView is one test image with the model's guess. The image is
// served at /predictions/image/{Index}.png.
type PredictionView struct {
	Index       int     // index in the test set
	Predicted   string  // class name
	Actual      string  // true class name
	Probability float64 // of the predicted class, 0..1
}

// Correct reports whether the prediction matches the label.
func (p PredictionView) Correct() bool { return p.Predicted == p.Actual }

func clampPercent(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	return math.Max(0, math.Min(100, p))
}
