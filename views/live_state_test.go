package views

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fmnist/trainer/fmnist"
)

// trainingState is run 3 in epoch 2 of 5, batch 40 of 100, at 640 img/s
// in batches of 64; its first epoch's evaluation took 4 s.
func trainingState() fmnist.State {
	return fmnist.State{
		Dataset: fmnist.DatasetState{Status: fmnist.StatusReady, Train: 60000, Test: 10000},
		Training: fmnist.TrainingState{
			Status: fmnist.StatusTraining, RunID: 3,
			Config:      fmnist.Config{Epochs: 5, BatchSize: 64, LR: 0.001, TrainLimit: 6400},
			Progress:    fmnist.Progress{Epoch: 2, Epochs: 5, Batch: 40, Batches: 100, Percent: 40, ImagesPerSec: 640},
			Since:       time.Now().Add(-65 * time.Second),
			LastEpoch:   fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.835},
			EvalSeconds: 4,
		},
	}
}

func TestTabTitleShowsWhatRuns(t *testing.T) {
	evaluating := trainingState()
	evaluating.Training.Evaluating = fmnist.Evaluating{Epoch: 2, Images: 10000, Time: time.Now()}
	stopping := trainingState()
	stopping.Training.Status = fmnist.StatusStopping
	finished := trainingState()
	finished.Training.Status = fmnist.StatusFinished
	downloading := fmnist.State{Dataset: fmnist.DatasetState{Status: fmnist.StatusDownloading,
		Progress: fmnist.DownloadProgress{Done: 42, Total: 100}}}
	verifying := downloading
	verifying.Dataset.Verifying = true
	for name, c := range map[string]struct {
		st   fmnist.State
		want string
	}{
		"training":    {trainingState(), "40% · Epoch 2/5"},
		"evaluating":  {evaluating, "Evaluating · Epoch 2/5"},
		"stopping":    {stopping, "Stopping · Epoch 2/5"},
		"finished":    {finished, "Dashboard"},
		"downloading": {downloading, "42% · Downloading dataset"},
		"verifying":   {verifying, "Verifying dataset"},
		"idle":        {fmnist.State{}, "Dashboard"},
	} {
		if got := TabTitle(c.st); got != c.want {
			t.Errorf("%s: tab title %q, want %q", name, got, c.want)
		}
	}
}

// The status line and the progress panel follow the download through its
// phases, from the dataset's state alone.
func TestDownloadPhases(t *testing.T) {
	for name, c := range map[string]struct {
		d                   fmnist.DatasetState
		pill, line, message string
	}{
		"overall percentage": {
			fmnist.DatasetState{Status: fmnist.StatusDownloading, Progress: fmnist.DownloadProgress{File: "a.gz", Done: 21, Total: 50}},
			"Downloading dataset", "Downloading the dataset: 42%", "42%",
		},
		"the file's percentage while later sizes are unknown": {
			fmnist.DatasetState{Status: fmnist.StatusDownloading, Progress: fmnist.DownloadProgress{File: "a.gz", FileDone: 1, FileTotal: 4, Done: 1, Total: -1}},
			"Downloading dataset", "Downloading the dataset: a.gz 25%", "a.gz 25%",
		},
		"verifying": {
			fmnist.DatasetState{Status: fmnist.StatusDownloading, Verifying: true, Progress: fmnist.DownloadProgress{Done: 50, Total: 50}},
			"Verifying dataset", "Verifying the dataset: checking the checksums and reading the files…", "checking the checksums and reading the files",
		},
		"failed": {
			fmnist.DatasetState{Status: fmnist.StatusFailed, Reason: "a.gz: checksum mismatch"},
			"Download failed", "The dataset download failed: a.gz: checksum mismatch", "a.gz: checksum mismatch",
		},
	} {
		st := fmnist.State{Dataset: c.d}
		s := render(t, statusLine(StatusViewOf(st)))
		if got := text(s.byID("status-line")); got != c.pill+" "+c.message {
			t.Errorf("%s: status line %q, want %q", name, got, c.pill+" "+c.message)
		}
		p := render(t, ProgressPanel(ProgressViewOf(st)))
		if got := text(p.byID("progress-dataset")); got != c.line {
			t.Errorf("%s: progress panel %q, want %q", name, got, c.line)
		}
		if got := text(p.byID("progress-panel")); !strings.HasPrefix(got, "Progress "+c.pill+" ") || strings.Contains(got, "No training run yet") {
			t.Errorf("%s: progress panel reads %q", name, got)
		}
	}
}

func TestProgressPanelWhileEvaluating(t *testing.T) {
	st := trainingState()
	st.Training.Progress.Batch, st.Training.Progress.Percent = 100, 100
	st.Training.Evaluating = fmnist.Evaluating{Epoch: 2, Images: 10000, Time: time.Now().Add(-time.Second)}
	d := render(t, ProgressEvent(ProgressViewOf(st)))
	if got := text(d.byID("evaluating")); got != "Evaluating on 10,000 test images…" {
		t.Errorf("evaluation reads %q", got)
	}
	if got := text(d.tag("title")[0]); got != "Evaluating · Epoch 2/5 · Fashion-MNIST Trainer" {
		t.Errorf("the event's title %q", got)
	}
	panel := text(d.byID("progress-panel"))
	for _, want := range []string{"Progress Evaluating", "Run 3 · 5 epochs · batch 64 · lr 0.001 · 6,400 images", "Elapsed 1m 05s", "Test accuracy 83.5% epoch 1 evaluation"} {
		if !strings.Contains(panel, want) {
			t.Errorf("panel %q lacks %q", panel, want)
		}
	}
	s := render(t, StatusEvent(StatusViewOf(st), ButtonsViewOf(st)))
	if got := text(s.byID("status-line")); got != "Evaluating Run 3 · epoch 2 on 10,000 test images" {
		t.Errorf("status line %q", got)
	}
	if got := attrOr(s.all(func(n *html.Node) bool { return hasAttr(n, "data-state") })[0], "data-state"); got != "training" {
		t.Errorf("data-state %q while evaluating, want training (the run's status)", got)
	}
}

// The time left counts the batches left at the measured speed and each
// evaluation left at the last one's duration.
func TestRemainingTime(t *testing.T) {
	now := time.Now()
	st := trainingState().Training
	// 60 batches of this epoch and 3×100 of the next ones at 10 batches/s,
	// and 4 evaluations (this epoch's and 3 more) of 4 s.
	if got, ok := remaining(st, now); !ok || got != 52*time.Second {
		t.Errorf("remaining %v (%v), want 52s", got, ok)
	}
	st.Progress.Batch = 100
	st.Evaluating = fmnist.Evaluating{Epoch: 2, Time: now.Add(-time.Second)}
	if got, _ := remaining(st, now); got != 45*time.Second {
		t.Errorf("remaining 1 s into the evaluation %v, want 45s", got)
	}
	st.Progress.ImagesPerSec = 0
	if _, ok := remaining(st, now); ok {
		t.Error("a time left without a speed")
	}
}

func TestFormatClockTime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1499 * time.Millisecond: "1s", 59 * time.Second: "59s", 65 * time.Second: "1m 05s",
		3599 * time.Second: "59m 59s", 3725 * time.Second: "1h 02m", -time.Second: "0s",
	} {
		if got := formatClockTime(d); got != want {
			t.Errorf("formatClockTime(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRunConfigLine(t *testing.T) {
	cfg := fmnist.Config{Epochs: 1, BatchSize: 32, LR: 5e-4}
	if got, want := RunConfigLine(7, cfg, 60000), "Run 7 · 1 epoch · batch 32 · lr 0.0005 · 60,000 images"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := RunConfigLine(7, cfg, 0), "Run 7 · 1 epoch · batch 32 · lr 0.0005 · all images"; got != want {
		t.Errorf("before the dataset is known: %q, want %q", got, want)
	}
}

// Each accuracy on the page says what it is the accuracy of.
func TestAccuraciesNameTheirSource(t *testing.T) {
	st := trainingState()
	st.Training.Status = fmnist.StatusStopped
	st.HasModel = true
	p := &fmnist.Predictions{RunID: 3, CheckpointEpoch: 2, CheckpointBatch: 78, Accuracy: fmnist.Accuracy{Overall: 0.844}}
	d := render(t, PredictionsPanel(PredictionsViewOf(st, p), ""))
	if got := text(d.byID("predictions-panel")); !strings.Contains(got, "Test accuracy 84.4% · run 3, checkpoint at epoch 2, batch 78") {
		t.Errorf("predictions read %q", got)
	}
	p.CheckpointBatch = 0
	if got := PredictionsViewOf(st, p).AccuracySource; got != "run 3, checkpoint after epoch 2" {
		t.Errorf("an epoch's checkpoint reads %q", got)
	}
	g := render(t, ProgressPanel(ProgressViewOf(st)))
	if got := text(g.byID("progress-accuracy-source")); got != "epoch 1 evaluation" {
		t.Errorf("the progress panel's accuracy says it comes from %q", got)
	}
	if g.hasID("elapsed") || g.hasID("remaining") || g.hasID("evaluating") {
		t.Error("a stopped run shows times or an evaluation")
	}
}
