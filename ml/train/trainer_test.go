package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// loadSynthetic writes a small learnable dataset and loads it.
func loadSynthetic(t *testing.T, nTrain, nTest int) *data.Dataset {
	t.Helper()
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, nTrain, nTest, 7)
	ds, err := data.LoadDataset(dir)
	if err != nil {
		t.Fatalf("data.LoadDataset: %v", err)
	}
	return ds
}

// testLogger sends the trainer's slog lines to the test's output, shown
// only for failing tests or with -v.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// runEvents sorts what a run reported by type.
type runEvents struct {
	all         []fmnist.Event
	progress    []fmnist.Progress
	lossPoints  []fmnist.LossPoint
	logs        []fmnist.LogEntry
	epochs      []fmnist.EpochResult
	statuses    []fmnist.Status
	reasons     []string
	checkpoints []fmnist.CheckpointSaved
}

func collect(events []fmnist.Event) runEvents {
	var r runEvents
	r.all = events
	for _, e := range events {
		switch e := e.(type) {
		case fmnist.Progress:
			r.progress = append(r.progress, e)
		case fmnist.LossPoint:
			r.lossPoints = append(r.lossPoints, e)
		case fmnist.LogEntry:
			r.logs = append(r.logs, e)
		case fmnist.EpochResult:
			r.epochs = append(r.epochs, e)
		case fmnist.StatusChange:
			r.statuses = append(r.statuses, e.Status)
			r.reasons = append(r.reasons, e.Reason)
		case fmnist.CheckpointSaved:
			r.checkpoints = append(r.checkpoints, e)
		}
	}
	return r
}

func equalStatuses(got []fmnist.Status, want ...fmnist.Status) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestTrainLearnsAndReportsEveryStep(t *testing.T) {
	ds := loadSynthetic(t, 640, 200)
	// 600 of 640 images in batches of 16: 38 batches, the last one of 8
	// images, so a dropped partial batch would show as 37.
	cfg := fmnist.Config{Epochs: 3, BatchSize: 16, LR: 2e-3, Seed: 3, TrainLimit: 600}
	const batches = 38
	dir := t.TempDir()
	var box fmnist.Mailbox
	res, err := Run(context.Background(), ds, cfg, Options{CheckpointDir: dir, RunID: "learn", Logger: testLogger(t)}, &box)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	ev := collect(box.Drain())

	if res.Stopped || res.Epochs != 3 {
		t.Errorf("result: stopped %v after %d epochs, want a finished run of 3", res.Stopped, res.Epochs)
	}
	t.Logf("test accuracy %.3f, %.0f img/s", res.TestAccuracy, res.ImagesPerSec)
	if res.TestAccuracy < 0.9 {
		t.Errorf("test accuracy %.3f after 3 epochs on a learnable set, want >= 0.9", res.TestAccuracy)
	}
	if res.ImagesPerSec <= 0 || res.Seconds <= 0 {
		t.Errorf("result: %.1f img/s in %.2f s, want both positive", res.ImagesPerSec, res.Seconds)
	}
	if !equalStatuses(ev.statuses, fmnist.StatusTraining, fmnist.StatusFinished) {
		t.Errorf("statuses %v, want [training finished]", ev.statuses)
	}

	// The network learns: the loss falls and the accuracy is far above chance.
	if len(ev.epochs) != 3 {
		t.Fatalf("%d epoch results, want 3", len(ev.epochs))
	}
	if first, last := ev.epochs[0].TrainLoss, ev.epochs[2].TrainLoss; !(last < first*0.7) {
		t.Errorf("mean training loss went from %.4f to %.4f, want a clear drop", first, last)
	}
	if early := ev.progress[0].Loss; !(ev.epochs[2].TestLoss < early/2) {
		t.Errorf("test loss %.4f at the end vs first batch loss %.4f, want less than half", ev.epochs[2].TestLoss, early)
	}
	for i, e := range ev.epochs {
		if e.Epoch != i+1 || e.Seconds <= 0 || e.ImagesPerSec <= 0 {
			t.Errorf("epoch result %d: %+v", i, e)
		}
	}
	if res.TestAccuracy != ev.epochs[2].TestAccuracy {
		t.Errorf("result accuracy %v differs from the last epoch's %v", res.TestAccuracy, ev.epochs[2].TestAccuracy)
	}
	// Each evaluation is announced between the epoch's last batch and its result.
	for i, e := range ev.all {
		r, ok := e.(fmnist.EpochResult)
		if !ok {
			continue
		}
		var prev fmnist.Event
		for j := i - 1; j >= 0 && prev == nil; j-- {
			if _, isLog := ev.all[j].(fmnist.LogEntry); !isLog {
				prev = ev.all[j]
			}
		}
		if ann, ok := prev.(fmnist.Evaluating); !ok || ann.Epoch != r.Epoch || ann.Images != ds.Test.Count || ann.Time.IsZero() {
			t.Errorf("epoch %d's result follows %#v, want its evaluation announced", r.Epoch, prev)
		}
	}

	// One fmnist.Progress per batch, every batch of every epoch, in order.
	if len(ev.progress) != 3*batches {
		t.Fatalf("%d progress events, want %d", len(ev.progress), 3*batches)
	}
	for i, p := range ev.progress {
		wantEpoch, wantBatch := i/batches+1, i%batches+1
		if p.Epoch != wantEpoch || p.Batch != wantBatch || p.Batches != batches || p.Epochs != 3 {
			t.Fatalf("progress %d: epoch %d/%d batch %d/%d, want epoch %d/3 batch %d/%d", i, p.Epoch, p.Epochs, p.Batch, p.Batches, wantEpoch, wantBatch, batches)
		}
		if want := 100 * float64(wantBatch) / batches; math.Abs(p.Percent-want) > 1e-9 {
			t.Errorf("progress %d: %.2f%%, want %.2f%%", i, p.Percent, want)
		}
		if p.ImagesPerSec <= 0 || p.Loss <= 0 || p.AvgLoss <= 0 {
			t.Errorf("progress %d: %+v", i, p)
		}
	}

	// Exactly LossPointsPerEpoch points per epoch at (epoch-1)+batch/batches,
	// increasing, the last one at the epoch's end; epoch 1 has one more,
	// after its first batch (38 batches: batch 1 is not a mark).
	if first := ev.lossPoints[0].Epoch; math.Abs(first-1.0/batches) > 1e-12 {
		t.Errorf("first loss point at x=%v, want 1/%d (after batch 1)", first, batches)
	}
	if got, want := ev.lossPoints[0].Loss, ev.progress[0].Loss; got != want {
		t.Errorf("first loss point = %v, want batch 1's loss %v", got, want)
	}
	if want := LossPointCount(3, batches); len(ev.lossPoints) != want {
		t.Errorf("%d loss points, want %d", len(ev.lossPoints), want)
	}
	perEpoch := map[int]int{}
	prev := 0.0
	for _, lp := range ev.lossPoints {
		epoch := int(math.Ceil(lp.Epoch))
		perEpoch[epoch]++
		batch := (lp.Epoch - float64(epoch-1)) * batches
		if math.Abs(batch-math.Round(batch)) > 1e-6 {
			t.Errorf("loss point at x=%v is not at a batch boundary", lp.Epoch)
		}
		if lp.Epoch <= prev {
			t.Errorf("loss point x=%v after %v: not increasing", lp.Epoch, prev)
		}
		prev = lp.Epoch
	}
	for epoch := 1; epoch <= 3; epoch++ {
		want := LossPointsPerEpoch
		if epoch == 1 {
			want++
		}
		if perEpoch[epoch] != want {
			t.Errorf("epoch %d has %d loss points, want %d", epoch, perEpoch[epoch], want)
		}
	}
	if last := ev.lossPoints[len(ev.lossPoints)-1].Epoch; last != 3 {
		t.Errorf("last loss point at x=%v, want 3", last)
	}

	// The log: a start line, per epoch six progress lines and an evaluation
	// line, and an end line.
	if want := 1 + 3*(LogEntriesPerEpoch+1) + 1; len(ev.logs) != want {
		t.Fatalf("%d log entries, want %d:\n%s", len(ev.logs), want, logText(ev.logs))
	}
	if !strings.Contains(ev.logs[0].Message, "started") || !strings.Contains(ev.logs[0].Message, "600 of 640 training images") {
		t.Errorf("start line %q should give the configuration and dataset sizes", ev.logs[0].Message)
	}
	for epoch := 0; epoch < 3; epoch++ {
		lines := ev.logs[1+epoch*7 : 1+(epoch+1)*7]
		for k, line := range lines[:6] {
			wantBatch := (k + 1) * batches / 6
			if (k+1)*batches%6 != 0 {
				wantBatch++
			}
			if want := fmt.Sprintf("batch %d/%d", wantBatch, batches); !strings.Contains(line.Message, want) || !strings.Contains(line.Message, "img/s") {
				t.Errorf("epoch %d line %d %q: want %q, loss and img/s", epoch+1, k+1, line.Message, want)
			}
		}
		if !strings.Contains(lines[6].Message, "test accuracy") {
			t.Errorf("epoch %d evaluation line %q lacks the test accuracy", epoch+1, lines[6].Message)
		}
	}
	if end := ev.logs[len(ev.logs)-1]; !strings.Contains(end.Message, "finished") || end.Level != fmnist.LevelInfo {
		t.Errorf("end line %+v", end)
	}
	for _, l := range ev.logs {
		if l.Time.IsZero() || l.Level == "" {
			t.Errorf("log entry without time or level: %+v", l)
		}
	}

	// A checkpoint per epoch, each in its own file with that epoch's
	// weights; the result names the last.
	if len(ev.checkpoints) != 3 {
		t.Fatalf("%d checkpoints, want 3", len(ev.checkpoints))
	}
	for i, c := range ev.checkpoints {
		want := filepath.Join(dir, fmt.Sprintf("learn-e%02d.ckpt", i+1))
		if c.Epoch != i+1 || c.Batch != 0 || c.Path != want {
			t.Errorf("checkpoint %d: %+v, want epoch %d in %s", i, c, i+1, want)
		}
		if ck, err := ReadCheckpoint(c.Path); err != nil || ck.Meta.Epoch != i+1 {
			t.Errorf("checkpoint %s: %v; want the weights of epoch %d", c.Path, err, i+1)
		}
		if info, err := os.Stat(c.Path); err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != 0o600 {
			t.Errorf("checkpoint %s has mode %04o, want 0600: only the owner may read a model", c.Path, info.Mode().Perm())
		}
	}
	if last := ev.checkpoints[2].Path; res.CheckpointPath != last {
		t.Errorf("result checkpoint %s, want the last one %s", res.CheckpointPath, last)
	}
	m, err := LoadModel(res.CheckpointPath)
	if err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	defer m.Close()
	if m.Meta.RunID != "learn" || m.Meta.Epoch != 3 || m.Meta.TestAccuracy != res.TestAccuracy {
		t.Errorf("checkpoint meta %+v", m.Meta)
	}
	acc, err := Evaluate(m.Net, &ds.Test)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if acc.Overall != res.TestAccuracy {
		t.Errorf("restored model scores %v, the run reported %v", acc.Overall, res.TestAccuracy)
	}
}

func logText(logs []fmnist.LogEntry) string {
	var b strings.Builder
	for _, l := range logs {
		b.WriteString(string(l.Level) + " " + l.Message + "\n")
	}
	return b.String()
}

func TestTrainFewBatchesStillSixLogLines(t *testing.T) {
	ds := loadSynthetic(t, 40, 20)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 16, LR: 1e-3, Seed: 1} // 3 batches: 16, 16, 8
	var box fmnist.Mailbox
	if _, err := Run(context.Background(), ds, cfg, Options{CheckpointDir: t.TempDir(), Logger: testLogger(t)}, &box); err != nil {
		t.Fatalf("Train: %v", err)
	}
	ev := collect(box.Drain())
	if want := 1 + 2*(LogEntriesPerEpoch+1) + 1; len(ev.logs) != want {
		t.Errorf("%d log entries, want %d:\n%s", len(ev.logs), want, logText(ev.logs))
	}
	var xs []float64
	for _, lp := range ev.lossPoints {
		xs = append(xs, lp.Epoch)
	}
	want := []float64{1.0 / 3, 2.0 / 3, 1, 1 + 1.0/3, 1 + 2.0/3, 2}
	if len(xs) != len(want) {
		t.Fatalf("loss points at %v, want %v", xs, want)
	}
	for i := range want {
		if math.Abs(xs[i]-want[i]) > 1e-12 {
			t.Errorf("loss points at %v, want %v", xs, want)
			break
		}
	}
}

func TestIsEvenMarkSpacing(t *testing.T) {
	for _, batches := range []int{1, 5, 19, 20, 21, 39, 40, 938, 1000} {
		var marks []int
		for b := 1; b <= batches; b++ {
			if isEvenMark(b, batches, LossPointsPerEpoch) {
				marks = append(marks, b)
			}
		}
		if want := min(batches, LossPointsPerEpoch); len(marks) != want {
			t.Errorf("%d batches: %d marks, want %d", batches, len(marks), want)
		}
		if marks[len(marks)-1] != batches {
			t.Errorf("%d batches: last mark %d, want the last batch", batches, marks[len(marks)-1])
		}
		// Evenly spaced: gaps differ by at most one batch.
		lo, hi := batches, 0
		for i, m := range marks {
			gap := m
			if i > 0 {
				gap = m - marks[i-1]
			}
			lo, hi = min(lo, gap), max(hi, gap)
		}
		if hi-lo > 1 {
			t.Errorf("%d batches: gaps between %d and %d", batches, lo, hi)
		}
	}
}

// stopAfterChecks is a context that becomes cancelled at its (n+1)-th
// check, that is, right after the trainer has finished n batches (the
// trainer checks before each batch). It makes "cancel after the n-th
// fmnist.Progress event" deterministic, where a real consumer goroutine could lag.
type stopAfterChecks struct {
	context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	checks int
	n      int
}

func newStopAfterChecks(n int) *stopAfterChecks {
	ctx, cancel := context.WithCancel(context.Background())
	return &stopAfterChecks{Context: ctx, cancel: cancel, n: n}
}

func (c *stopAfterChecks) Err() error {
	c.mu.Lock()
	c.checks++
	if c.checks > c.n {
		c.cancel()
	}
	c.mu.Unlock()
	return c.Context.Err()
}

func TestTrainStopsWithinOneBatchAndKeepsACheckpoint(t *testing.T) {
	ds := loadSynthetic(t, 400, 100)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 20, LR: 1e-3, Seed: 1} // 20 batches per epoch
	const stopAfter = 5
	ctx := newStopAfterChecks(stopAfter)
	defer ctx.cancel()
	dir := t.TempDir()
	var box fmnist.Mailbox
	res, err := Run(ctx, ds, cfg, Options{CheckpointDir: dir, RunID: "stop", Logger: testLogger(t)}, &box)
	if err != nil {
		t.Fatalf("Train after a stop returned error %v, want nil", err)
	}
	ev := collect(box.Drain())
	if len(ev.progress) > stopAfter+1 {
		t.Errorf("%d batches ran, cancelled after batch %d: more than one further batch", len(ev.progress), stopAfter)
	}
	done := len(ev.progress)
	if !res.Stopped || res.Epochs != 0 {
		t.Errorf("result %+v, want stopped with 0 completed epochs", res)
	}
	if !equalStatuses(ev.statuses, fmnist.StatusTraining, fmnist.StatusStopping, fmnist.StatusStopped) {
		t.Errorf("statuses %v, want [training stopping stopped]", ev.statuses)
	}
	if len(ev.checkpoints) != 1 || ev.checkpoints[0].Epoch != 1 || ev.checkpoints[0].Batch != done {
		t.Fatalf("checkpoints %+v, want one at epoch 1 batch %d", ev.checkpoints, done)
	}
	if len(ev.epochs) != 0 {
		t.Errorf("epoch results %+v for an epoch that never finished", ev.epochs)
	}
	end := ev.logs[len(ev.logs)-1]
	if end.Level != fmnist.LevelWarn || !strings.Contains(end.Message, "stopped") {
		t.Errorf("end line %+v, want a warning that training stopped", end)
	}
	if ev.all[len(ev.all)-1] != (fmnist.StatusChange{Status: fmnist.StatusStopped}) {
		t.Errorf("last event %#v, want the stopped status", ev.all[len(ev.all)-1])
	}
	if want := filepath.Join(dir, fmt.Sprintf("stop-e01-b%04d.ckpt", done)); ev.checkpoints[0].Path != want || res.CheckpointPath != want {
		t.Errorf("checkpoint %s (result %s), want %s", ev.checkpoints[0].Path, res.CheckpointPath, want)
	}
	ck, err := ReadCheckpoint(ev.checkpoints[0].Path)
	if err != nil {
		t.Fatalf("checkpoint after stop: %v", err)
	}
	if ck.Meta.Epoch != 1 || ck.Meta.Batch != done || ck.Meta.RunID != "stop" {
		t.Errorf("checkpoint meta %+v", ck.Meta)
	}
}

// stopAfterFile is a context cancelled once a file exists.
type stopAfterFile struct {
	context.Context
	cancel context.CancelFunc
	path   string
}

func (c *stopAfterFile) Err() error {
	if _, err := os.Stat(c.path); err == nil {
		c.cancel()
	}
	return c.Context.Err()
}

// TestTrainStopAtAnEpochsEndKeepsItsCheckpoint stops right after epoch 1's
// checkpoint: that one stands for the stop, not a second copy.
func TestTrainStopAtAnEpochsEndKeepsItsCheckpoint(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := &stopAfterFile{Context: ctx, cancel: cancel, path: filepath.Join(dir, "edge-e01.ckpt")}
	var box fmnist.Mailbox
	res, err := Run(stop, ds, fmnist.Config{Epochs: 3, BatchSize: 50, LR: 1e-3, Seed: 1}, Options{CheckpointDir: dir, RunID: "edge", Logger: testLogger(t)}, &box)
	if err != nil || !res.Stopped || res.Epochs != 1 || res.CheckpointPath != stop.path {
		t.Fatalf("Train = %+v, %v; want stopped after epoch 1 with checkpoint %s", res, err, stop.path)
	}
	ev := collect(box.Drain())
	if len(ev.checkpoints) != 1 || ev.checkpoints[0] != (fmnist.CheckpointSaved{Path: stop.path, Epoch: 1}) {
		t.Errorf("checkpoints %+v, want epoch 1's alone", ev.checkpoints)
	}
	if end := ev.logs[len(ev.logs)-1].Message; !strings.Contains(end, "after 1 of 3 epochs") || !strings.Contains(end, stop.path) {
		t.Errorf("end line %q, want the stop after epoch 1 with its checkpoint", end)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the checkpoints folder holds %d files, want 1", len(entries))
	}
}

func TestTrainCancelledBeforeStartStillStopsCleanly(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var box fmnist.Mailbox
	res, err := Run(ctx, ds, fmnist.Config{Epochs: 1, BatchSize: 10, LR: 1e-3, Seed: 1}, Options{CheckpointDir: t.TempDir(), Logger: testLogger(t)}, &box)
	if err != nil || !res.Stopped {
		t.Fatalf("Train = %+v, %v; want stopped, nil", res, err)
	}
	ev := collect(box.Drain())
	// Nothing was trained, so no checkpoint may hide an earlier, trained model.
	if len(ev.progress) != 0 || len(ev.checkpoints) != 0 || res.CheckpointPath != "" {
		t.Fatalf("%d batches, %d checkpoints (%q), want none", len(ev.progress), len(ev.checkpoints), res.CheckpointPath)
	}
	if end := ev.logs[len(ev.logs)-1].Message; !strings.Contains(end, "stopped before the first batch") {
		t.Errorf("end line %q", end)
	}
	if last := ev.statuses[len(ev.statuses)-1]; last != fmnist.StatusStopped {
		t.Errorf("last status %v, want stopped", last)
	}
}

func TestTrainFailuresAreReported(t *testing.T) {
	ds := loadSynthetic(t, 50, 10)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     fmnist.Config
		dir     string
		wantErr string
	}{
		{"batch larger than the set", fmnist.Config{Epochs: 1, BatchSize: 64, LR: 1e-3}, t.TempDir(), "batch_size"},
		{"zero epochs", fmnist.Config{Epochs: 0, BatchSize: 10, LR: 1e-3}, t.TempDir(), "epochs"},
		{"checkpoint dir is a file", fmnist.Config{Epochs: 1, BatchSize: 10, LR: 1e-3}, notADir, "checkpoint directory"},
		{"no checkpoint dir", fmnist.Config{Epochs: 1, BatchSize: 10, LR: 1e-3}, "", "checkpoint directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var box fmnist.Mailbox
			_, err := Run(context.Background(), ds, tt.cfg, Options{CheckpointDir: tt.dir, Logger: testLogger(t)}, &box)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Train error %v, want one mentioning %q", err, tt.wantErr)
			}
			ev := collect(box.Drain())
			last := len(ev.statuses) - 1
			if last < 0 || ev.statuses[last] != fmnist.StatusFailed || ev.reasons[last] != err.Error() {
				t.Errorf("statuses %v reasons %q, want failed with the error as reason", ev.statuses, ev.reasons)
			}
			if l := ev.logs[len(ev.logs)-1]; l.Level != fmnist.LevelError {
				t.Errorf("last log line %+v, want an error", l)
			}
			if len(ev.progress) != 0 {
				t.Errorf("%d batches trained despite the error", len(ev.progress))
			}
		})
	}
}
