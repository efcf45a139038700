package views

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/forkview"
	"github.com/fmnist/trainer/views/recipeform"
)

// The view types of the runs pages: the list, one run, and a comparison.

// RunsView is the runs page: every run, sorted and filtered as asked.
type RunsView struct {
	CSRF   string
	Runs   []RunRow
	Sort   string // a RunColumns key
	Desc   bool
	Status string // the status filter; "" for all
}

// RunColumns are the runs table's sortable columns: the key in ?sort= and
// the heading.
var RunColumns = []struct{ Key, Title string }{
	{"id", "Run"}, {"status", "Status"}, {"started", "Started"}, {"duration", "Duration"},
	{"config", "Config"}, {"epochs", "Epochs"}, {"best", "Best acc."}, {"final", "Final acc."},
	{"speed", "img/s"},
}

// RunStatuses are the statuses the filter offers.
var RunStatuses = []fmnist.Status{fmnist.StatusTraining, fmnist.StatusStopping, fmnist.StatusFinished,
	fmnist.StatusStopped, fmnist.StatusInterrupted, fmnist.StatusFailed}

// RunRow is one run as the runs table and the run page show it.
type RunRow struct {
	ID        int64
	Status    fmnist.Status
	Reason    string
	StartedAt time.Time
	Duration  time.Duration // 0 while the run is going
	Config    fmnist.Config
	// EpochsDone counts evaluated epochs.
	EpochsDone   int
	BestAccuracy float64 // NaN before the first evaluated epoch
	TestAccuracy float64 // of the latest epoch; NaN before the first
	ImagesPerSec float64 // mean over epochs; 0 before the first
	// Parent is where the run forked from another; nil for a fresh run.
	Parent *fmnist.ForkPoint
	Kind   fmnist.RunKind // imported or trained ("" reads as trained)
}

// NewRunRow turns a run summary into a row.
func NewRunRow(s fmnist.RunSummary) RunRow {
	r := RunRow{ID: s.ID, Status: s.Status, Reason: s.Reason, StartedAt: s.StartedAt, Config: s.Config,
		EpochsDone: s.EpochsDone, BestAccuracy: nan(s.BestAccuracy), TestAccuracy: nan(s.TestAccuracy),
		ImagesPerSec: s.ImagesPerSec, Parent: s.Parent, Kind: s.Kind}
	if !s.EndedAt.IsZero() {
		r.Duration = s.EndedAt.Sub(s.StartedAt)
	}
	return r
}

func nan(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// CanDelete reports whether the run may be deleted: not while it trains.
func (r RunRow) CanDelete() bool {
	return r.Status != fmnist.StatusTraining && r.Status != fmnist.StatusStopping
}

// ConfigShort is the config in a few words: "3 ep · bs 64 · lr 0.001 · 6000 img".
func ConfigShort(c fmnist.Config) string {
	imgs := "all img"
	if c.TrainLimit > 0 {
		imgs = strconv.Itoa(c.TrainLimit) + " img"
	}
	return fmt.Sprintf("%d ep · bs %d · lr %s · %s", c.Epochs, c.BatchSize, strconv.FormatFloat(c.LR, 'g', -1, 64), imgs)
}

// EpochView is one epoch's results.
type EpochView struct {
	Epoch                         int
	TrainLoss, TestLoss, Accuracy float64
	ImagesPerSec, Seconds         float64
}

// CheckpointView is one saved model of a run.
type CheckpointView struct {
	ID       int64
	File     string // its base name
	Epoch    int
	Batch    int     // 0 at an epoch's end
	Accuracy float64 // NaN before the first evaluated epoch
	Size     int64   // bytes; -1 if the file is missing
}

// RunView is one run's page.
type RunView struct {
	CSRF string
	Run  RunRow
	// Live subscribes the page to the event stream while the run trains,
	// resuming after LastEventID.
	Live        bool
	LastEventID uint64
	Status      StatusView
	Progress    ProgressView
	Loss        ChartView
	Epochs      []EpochView
	Checkpoints []CheckpointView
	Logs        LogPageView
	// Predictions are those asked for on this page, of the checkpoint
	// PredictedFrom names; nil before any.
	Predictions   *PredictionsView
	PredictedFrom string
	// PredictionError says why predictions failed.
	PredictionError string
	// Fork is the fork form that was sent and refused; zero otherwise.
	Fork ForkForm
	// Analytics are the run's confusion matrix and the like.
	Analytics AnalyticsView
}

// ForkForm is a checkpoint's fork form as it was sent, with why the fork
// was refused: the form shows it again as typed.
type ForkForm struct {
	CheckpointID int64
	Values       recipeform.Values // as typed (recipeform.ForkValues); blank keeps the parent's
	Error        string
	Errors       map[string]string // the message beside each field at fault
}

// forkFields are what checkpoint id's fork form shows.
func (v RunView) forkFields(id int64) forkview.Form {
	parent := recipeform.ValuesOf(v.Run.Config.Recipe)
	parent[fmnist.FieldLR] = strconv.FormatFloat(v.Run.Config.LR, 'g', -1, 64)
	parent[fmnist.FieldEpochs] = strconv.Itoa(v.Run.Config.Epochs)
	f := forkview.Form{ID: strconv.FormatInt(id, 10), Parent: parent}
	if v.Fork.CheckpointID == id {
		f.Typed, f.Errors = v.Fork.Values, v.Fork.Errors
	}
	return f
}

// forkPhrase says where a fork left its parent: "at epoch 1 (batch 0)".
func forkPhrase(p fmnist.ForkPoint) string {
	return fmt.Sprintf("at epoch %d (batch %d)", p.Epoch, p.Batch)
}

// compareWithParentURL is the comparison of a fork with its parent.
func compareWithParentURL(r RunRow) string {
	return fmt.Sprintf("/runs/compare?ids=%d,%d", r.Parent.RunID, r.ID)
}

// LogPageView is one page of a run's log, newest first.
type LogPageView struct {
	Entries []LogView
	Level   string // the level filter; "" for all
	Page    int    // from 1
	Pages   int
	Total   int
}

// CompareView is the comparison of a few runs.
type CompareView struct {
	Runs    []CompareRun
	Configs []ConfigRow
	// MaxEpoch is the most epochs any run has results for.
	MaxEpoch int
	// TrainImages is the size of the training set (0 if unknown): it
	// places a fork from the middle of an epoch on the curve.
	TrainImages int
	// Smooth is the ?smooth= weight the server smooths its SVG with (JS off).
	Smooth float64
}

// CompareRun is one run in a comparison.
type CompareRun struct {
	Row    RunRow
	Color  string
	Loss   []LossPoint
	Epochs []EpochView
}

// ConfigRow is one config field across the compared runs.
type ConfigRow struct {
	Name   string
	Values []string
	Differ bool
}

// runColors tell the runs of a comparison apart (Tailwind 600s).
var runColors = []string{"#2563eb", "#dc2626", "#16a34a", "#d97706", "#9333ea", "#0891b2", "#db2777", "#4b5563"}

// RunColor is the colour of the i-th run of a comparison.
func RunColor(i int) string { return runColors[i%len(runColors)] }

// sortURL is the runs page sorted by col: descending first, and the other
// way when it is already sorted by col that way.
func (v RunsView) sortURL(col string) string {
	q := url.Values{"sort": {col}, "dir": {"desc"}}
	if v.Sort == col && v.Desc {
		q.Set("dir", "asc")
	}
	if v.Status != "" {
		q.Set("status", v.Status)
	}
	return "/runs?" + q.Encode()
}

// sortMark is the arrow beside the sorted column's heading.
func (v RunsView) sortMark(col string) string {
	switch {
	case v.Sort != col:
		return ""
	case v.Desc:
		return " ↓"
	}
	return " ↑"
}

func (v RunsView) ariaSort(col string) string {
	switch {
	case v.Sort != col:
		return "none"
	case v.Desc:
		return "descending"
	}
	return "ascending"
}

func runURL(id int64) string { return "/runs/" + strconv.FormatInt(id, 10) }

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func formatAccuracyOrDash(a float64) string {
	if !finite(a) {
		return "—"
	}
	return formatAccuracy(a)
}

func formatStarted(t time.Time) string { return t.Format("2006-01-02 15:04") }

// logPageURL is page n of the log with the same filter.
func (l LogPageView) pageURL(runID int64, n int) string {
	q := url.Values{"page": {strconv.Itoa(n)}}
	if l.Level != "" {
		q.Set("level", l.Level)
	}
	return runURL(runID) + "?" + q.Encode() + "#logs"
}

// ConfigFields are a config's fields as the pages list them: name and value.
func ConfigFields(c fmnist.Config) [][2]string {
	limit := "all"
	if c.TrainLimit > 0 {
		limit = strconv.Itoa(c.TrainLimit)
	}
	return append([][2]string{
		{"Epochs", strconv.Itoa(c.Epochs)},
		{"Batch size", strconv.Itoa(c.BatchSize)},
		{"Learning rate", strconv.FormatFloat(c.LR, 'g', -1, 64)},
		{"Seed", strconv.FormatInt(c.Seed, 10)},
		{"Training images", limit},
	}, recipeform.ConfigFields(c.Recipe)...)
}

// epochSeries are a run's per-epoch curves: training and test loss on the
// left axis, test accuracy on the right.
func epochSeries(epochs []EpochView) []Series {
	train, test, acc := make([][2]float64, len(epochs)), make([][2]float64, len(epochs)), make([][2]float64, len(epochs))
	for i, e := range epochs {
		x := float64(e.Epoch)
		train[i], test[i], acc[i] = [2]float64{x, e.TrainLoss}, [2]float64{x, e.TestLoss}, [2]float64{x, e.Accuracy}
	}
	return []Series{
		{Name: "training loss", Color: runColors[0], Points: train},
		{Name: "test loss", Color: runColors[1], Points: test},
		{Name: "test accuracy", Color: runColors[2], Points: acc, Right: true, Dashed: true},
	}
}

func checkpointWhen(c CheckpointView) string {
	if c.Batch > 0 {
		return fmt.Sprintf("epoch %d, batch %d", c.Epoch, c.Batch)
	}
	return fmt.Sprintf("after epoch %d", c.Epoch)
}

func formatSize(n int64) string {
	if n < 0 {
		return "missing"
	}
	return formatBytes(n)
}

// compareIDParams keeps a comparison's runs in its smoothing form.
func compareIDParams(runs []CompareRun) [][2]string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = strconv.FormatInt(r.Row.ID, 10)
	}
	return [][2]string{{"ids", strings.Join(ids, ",")}}
}
