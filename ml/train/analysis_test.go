package train

import (
	"context"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// Each epoch's evaluation reports its confusion matrix and the images it got
// right, and they agree with the epoch's accuracy to the last bit.
func TestEachEpochReportsItsConfusionMatrix(t *testing.T) {
	ds := loadSynthetic(t, 320, 203) // an odd test-set size: the bitset's last byte is partial
	cfg := fmnist.Config{Epochs: 2, BatchSize: 32, LR: 2e-3, Seed: 5}
	var box fmnist.Mailbox
	if _, err := Run(context.Background(), ds, cfg, Options{CheckpointDir: t.TempDir(), RunID: "conf", Logger: testLogger(t)}, &box); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var results []fmnist.EpochResult
	var analyses []fmnist.EpochAnalysis
	for _, e := range box.Drain() {
		switch e := e.(type) {
		case fmnist.EpochResult:
			results = append(results, e)
		case fmnist.EpochAnalysis:
			if len(results) != len(analyses)+1 {
				t.Fatalf("epoch %d's analysis came before its result", e.Epoch)
			}
			analyses = append(analyses, e)
		}
	}
	if len(analyses) != 2 {
		t.Fatalf("%d epoch analyses, want 2", len(analyses))
	}
	for i, a := range analyses {
		if a.Epoch != i+1 {
			t.Errorf("analysis %d is of epoch %d", i, a.Epoch)
		}
		if got := a.Confusion.Total(); got != ds.Test.Count || a.Images != ds.Test.Count {
			t.Errorf("epoch %d: matrix sums to %d (images %d), want the test set's %d", a.Epoch, got, a.Images, ds.Test.Count)
		}
		if got, want := a.Confusion.Accuracy(), results[i].TestAccuracy; got != want {
			t.Errorf("epoch %d: diagonal / total = %v, want the epoch's test accuracy %v exactly", a.Epoch, got, want)
		}
		if a.Correct.Count() != a.Confusion.Correct() || len(a.Correct) != (ds.Test.Count+7)/8 {
			t.Errorf("epoch %d: %d bits set in %d bytes, want %d in %d", a.Epoch, a.Correct.Count(), len(a.Correct), a.Confusion.Correct(), (ds.Test.Count+7)/8)
		}
		for c := range fmnist.NumClasses {
			rowSum := 0
			for j := range fmnist.NumClasses {
				rowSum += a.Confusion[c][j]
			}
			labels := 0
			for _, l := range ds.Test.Labels {
				if int(l) == c {
					labels++
				}
			}
			if rowSum != labels {
				t.Errorf("epoch %d: row %d sums to %d, want the %d images of that class", a.Epoch, c, rowSum, labels)
			}
		}
	}
	if a, b := analyses[0].Correct, analyses[1].Correct; string(a) == string(b) && analyses[0].Confusion == analyses[1].Confusion {
		t.Logf("both epochs answered the same on every image")
	}
}
