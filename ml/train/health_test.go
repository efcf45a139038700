package train

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// A run with learning rate 10 fails with a NaN warning, or warns of
// divergence, within its first epoch; a failure names the batch and the
// last good checkpoint.
func TestLearningRate10FailsOrWarnsInItsFirstEpoch(t *testing.T) {
	ds := loadSynthetic(t, 3200, 64)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 16, LR: 10, Seed: 1}
	var box fmnist.Mailbox
	_, runErr := Run(context.Background(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "lr10", Logger: testLogger(t)}, &box)
	var warnings []fmnist.Warning
	var logged []string
	for _, e := range box.Drain() {
		switch e := e.(type) {
		case fmnist.Warning:
			warnings = append(warnings, e)
		case fmnist.LogEntry:
			if e.Level == fmnist.LevelWarn || e.Level == fmnist.LevelError {
				logged = append(logged, e.Message)
			}
		}
	}
	if len(warnings) == 0 {
		t.Fatalf("no warning from a run at learning rate 10 (err %v)", runErr)
	}
	// Dead units or a gradient spike may come first: they are what a too
	// large step does to the network before the loss gives way.
	i := slices.IndexFunc(warnings, func(w fmnist.Warning) bool { return w.Kind == fmnist.WarnNaN || w.Kind == fmnist.WarnDivergence })
	if i < 0 {
		t.Fatalf("no NaN or divergence warning among %+v", warnings)
	}
	w := warnings[i]
	t.Logf("first NaN or divergence warning: %s %q; run error: %v", w.Kind, w.Message, runErr)
	if w.Epoch != 1 {
		t.Errorf("first NaN or divergence warning %+v; want it in epoch 1", w)
	}
	if w.Kind == fmnist.WarnNaN {
		if runErr == nil || !strings.Contains(runErr.Error(), "batch ") || !strings.Contains(runErr.Error(), "last good checkpoint: none was written yet") {
			t.Errorf("the run's error %v should name the batch and the last good checkpoint", runErr)
		}
	} else if !strings.Contains(strings.Join(logged, "\n"), w.Message) {
		t.Errorf("the warning %q is not in the log at level warn: %q", w.Message, logged)
	}
}

func TestHealthMonitorWarnsOnceForEachProblem(t *testing.T) {
	h := newHealthMonitor(fmnist.DefaultHealth)
	var kinds []fmnist.WarningKind
	for b := 1; b <= 200; b++ {
		loss := 2.0 / float64(b) // falls, then climbs far above its minimum
		if b > 100 {
			loss = 5
		}
		if w := h.batch(1, b, 200, loss); w != nil {
			kinds = append(kinds, w.Kind)
			if w.Batch < 150 {
				t.Errorf("divergence reported at batch %d, before 50 batches above 3× the minimum", w.Batch)
			}
		}
	}
	if len(kinds) != 1 || kinds[0] != fmnist.WarnDivergence {
		t.Errorf("warnings %v over an epoch that diverges; want divergence once", kinds)
	}
	// Epoch results: the gap between test and training loss grows twice.
	for e, losses := range [][2]float64{{0.5, 0.55}, {0.4, 0.5}, {0.3, 0.5}} {
		for _, w := range h.epochEnd(e+1, losses[0], losses[1]) {
			kinds = append(kinds, w.Kind)
		}
	}
	want := []fmnist.WarningKind{fmnist.WarnDivergence, fmnist.WarnPlateau, fmnist.WarnOverfitting}
	if strings.Join(kindNames(kinds), " ") != strings.Join(kindNames(want), " ") {
		t.Errorf("warnings %v; want %v (no new minimum after epoch 1: one plateau, however long; the gap grew in epochs 2 and 3)", kinds, want)
	}
	// A plateau that ends and comes back is warned of again.
	kinds = nil
	for e, losses := range [][2]float64{{0.2, 0.5}, {0.2, 0.5}} {
		if e == 0 {
			h.minSmoothed /= 2 // a new minimum in epoch 4, none in epoch 5
		}
		for _, w := range h.epochEnd(4+e, losses[0], losses[1]) {
			kinds = append(kinds, w.Kind)
		}
	}
	if got := strings.Join(kindNames(kinds), " "); got != "plateau" {
		t.Errorf("after a plateau ended and came back: warnings %q, want one plateau", got)
	}
}

func kindNames(ks []fmnist.WarningKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}
