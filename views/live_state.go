package views

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// What the dashboard says about work in progress, all from the app's
// state: the download's phase, the evaluation after an epoch, the time a
// run has taken and will take, and the tab's title.

// appName ends every tab title.
const appName = "Fashion-MNIST Trainer"

// TabTitle is the dashboard's tab title before " · Fashion-MNIST Trainer":
// the progress of what runs ("42% · Epoch 1/3"), or "Dashboard".
func TabTitle(st fmnist.State) string {
	t, d := st.Training, st.Dataset
	epoch := "Epoch " + strconv.Itoa(t.Progress.Epoch) + "/" + strconv.Itoa(max(t.Progress.Epochs, t.Config.Epochs))
	switch {
	case t.Running() && t.Evaluating.Epoch > 0:
		return "Evaluating · " + epoch
	case t.Status == fmnist.StatusStopping:
		return "Stopping · " + epoch
	case t.Running():
		return formatPercent(t.Progress.Percent) + " · " + epoch
	case d.Status == fmnist.StatusDownloading && d.Verifying:
		return "Verifying dataset"
	case d.Status == fmnist.StatusDownloading && d.Progress.Total > 0:
		return formatPercent(downloadPercent(d.Progress)) + " · Downloading dataset"
	case d.Status == fmnist.StatusDownloading:
		return "Downloading dataset"
	}
	return dashboardTitle
}

// downloadPercent is the download's progress over all files, 0..100.
func downloadPercent(p fmnist.DownloadProgress) float64 {
	return clampPercent(float64(p.Done) / float64(p.Total) * 100)
}

// downloadPhrase says how far the download is: "42%" over all files when
// their sizes are known, else the file's own share, else the bytes so far.
func downloadPhrase(d fmnist.DatasetState) string {
	p := d.Progress
	switch {
	case d.Verifying:
		return "checking the checksums and reading the files"
	case p.Total > 0:
		return formatPercent(downloadPercent(p))
	case p.FileTotal > 0:
		return p.File + " " + formatPercent(float64(p.FileDone)/float64(p.FileTotal)*100)
	case p.Done > 0:
		return formatBytes(p.Done)
	}
	return "starting"
}

// datasetPhase is the progress panel's line about a dataset that is not
// ready because it downloads, is being verified or failed; "" otherwise.
func datasetPhase(d fmnist.DatasetState) (line string, failed bool) {
	switch {
	case d.Status == fmnist.StatusDownloading && d.Verifying:
		return "Verifying the dataset: " + downloadPhrase(d) + "…", false
	case d.Status == fmnist.StatusDownloading:
		return "Downloading the dataset: " + downloadPhrase(d), false
	case d.Status == fmnist.StatusFailed:
		return "The dataset download failed: " + d.Reason, true
	}
	return "", false
}

// RunConfigLine is the run's configuration in one line, as every viewer
// sees it: "Run 3 · 5 epochs · batch 64 · lr 0.001 · 6,000 images". trainCount
// is the training set's size (0 when unknown).
func RunConfigLine(runID int64, c fmnist.Config, trainCount int) string {
	images := "all images"
	if n := c.TrainImages(trainCount); n > 0 {
		images = formatCount(n) + " images"
	}
	epochs := "epochs"
	if c.Epochs == 1 {
		epochs = "epoch"
	}
	return fmt.Sprintf("Run %d · %d %s · batch %d · lr %s · %s",
		runID, c.Epochs, epochs, c.BatchSize, strconv.FormatFloat(c.LR, 'g', -1, 64), images)
}

// remaining estimates how long run t needs to end from the speed measured
// so far: the batches left at the epoch's images per second, plus each
// evaluation left at the duration of the last one (none is counted before
// the first has been timed). ok is false while there is no speed yet.
func remaining(t fmnist.TrainingState, now time.Time) (d time.Duration, ok bool) {
	p := t.Progress
	if p.ImagesPerSec <= 0 || math.IsInf(p.ImagesPerSec, 0) || p.Batches <= 0 || t.Config.BatchSize <= 0 {
		return 0, false
	}
	batches := (p.Epochs-p.Epoch)*p.Batches + (p.Batches - p.Batch)
	secs := float64(batches*t.Config.BatchSize) / p.ImagesPerSec
	evals := p.Epochs - p.Epoch // the epochs after this one
	if t.LastEpoch.Epoch < p.Epoch {
		evals++ // this epoch's own
	}
	secs += float64(evals) * t.EvalSeconds
	if t.Evaluating.Epoch > 0 && t.EvalSeconds > 0 {
		// This evaluation has run for a while already.
		secs -= min(now.Sub(t.Evaluating.Time).Seconds(), t.EvalSeconds)
	}
	return time.Duration(max(secs, 0) * float64(time.Second)), true
}

// formatClockTime writes a time span as the progress panel shows it, short
// enough for a phone's half-width box: "45s", "3m 05s", "1h 02m".
// public/app.js writes the elapsed time the same way as it counts on.
func formatClockTime(d time.Duration) string {
	s := int64(max(d, 0).Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh %02dm", s/3600, s%3600/60)
}

// epochEvaluation says which evaluation an accuracy comes from, so that two
// accuracies on the page do not seem to contradict each other.
func epochEvaluation(epoch int) string { return "epoch " + strconv.Itoa(epoch) + " evaluation" }

// checkpointSource names a checkpoint by where in its run it was saved:
// "run 3, checkpoint at epoch 2, batch 78" or "run 3, checkpoint after epoch 2".
func checkpointSource(runID int64, epoch, batch int) string {
	where := "after epoch " + strconv.Itoa(epoch)
	if batch > 0 {
		where = "at epoch " + strconv.Itoa(epoch) + ", batch " + strconv.Itoa(batch)
	}
	return "run " + strconv.FormatInt(runID, 10) + ", checkpoint " + where
}
