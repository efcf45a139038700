package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// testAnalysis is an analysis of epoch over 10,000 images with a plausible
// matrix: most images on the diagonal, the rest spread over the row.
func testAnalysis(epoch int) fmnist.EpochAnalysis {
	a := fmnist.EpochAnalysis{Epoch: epoch, Images: 10_000, Correct: fmnist.NewBitset(10_000)}
	for i := range fmnist.NumClasses {
		for j := range fmnist.NumClasses {
			a.Confusion[i][j] = (i*7 + j*3 + epoch) % 13
		}
		a.Confusion[i][i] = 1000 - 9*6
	}
	for i := 0; i < 10_000; i += 1 + epoch%3 {
		a.Correct.Set(i)
	}
	return a
}

func TestEpochAnalysesReadBackAndGoWithTheRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	other, _ := db.CreateRun(ctx, testConfig(), t0)
	want := []fmnist.EpochAnalysis{testAnalysis(1), testAnalysis(2), testAnalysis(3)}
	for _, a := range want {
		if err := db.AddEpochAnalysis(ctx, run.ID, a); err != nil {
			t.Fatalf("AddEpochAnalysis: %v", err)
		}
	}
	if err := db.AddEpochAnalysis(ctx, other.ID, testAnalysis(1)); err != nil {
		t.Fatal(err)
	}
	got, err := db.EpochAnalyses(ctx, run.ID)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("EpochAnalyses = %d analyses, %v; want the 3 stored, as stored", len(got), err)
	}
	// An epoch evaluated again (after a resume) replaces the first.
	again := testAnalysis(5)
	again.Epoch = 2
	if err := db.AddEpochAnalysis(ctx, run.ID, again); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EpochAnalyses(ctx, run.ID); len(got) != 3 || !reflect.DeepEqual(got[1], again) {
		t.Errorf("after storing epoch 2 again: %d analyses; want 3 with the new epoch 2", len(got))
	}
	if err := db.AddEpochAnalysis(ctx, 99, testAnalysis(1)); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("AddEpochAnalysis to an unknown run: %v, want ENOTFOUND", err)
	}

	// A resume from epoch 1 drops the later epochs' analyses.
	if err := db.AddCheckpoint(ctx, run.ID, "ck", 1, 0, t0); err != nil {
		t.Fatal(err)
	}
	cks, _ := db.Checkpoints(ctx, run.ID)
	if err := db.ResumeRun(ctx, fmnist.Resume{RunID: run.ID, CheckpointID: cks[0].ID, Epoch: 1, X: 1, ResumedAt: t0.Add(time.Hour)}, testConfig()); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EpochAnalyses(ctx, run.ID); len(got) != 1 || got[0].Epoch != 1 {
		t.Errorf("after a resume from epoch 1: %d analyses; want epoch 1's only", len(got))
	}
	if _, err := db.DeleteRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM confusion_matrices WHERE run_id = ?) + (SELECT count(*) FROM epoch_correct WHERE run_id = ?)`, run.ID, run.ID).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d analysis rows left after deleting the run (%v)", left, err)
	}
	if got, _ := db.EpochAnalyses(ctx, other.ID); len(got) != 1 {
		t.Errorf("the other run has %d analyses after the deletion, want its 1", len(got))
	}
}

// The dynamics (a bitset of 10,000 images per epoch) take at most 2 KB per
// epoch in the database file, and the whole analysis with its matrix too.
func TestEpochAnalysisTakesAtMost2KBPerEpoch(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	pages := func() int64 {
		var n, size int64
		if _, err := db.sql.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		if err := db.sql.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := db.sql.QueryRowContext(ctx, `SELECT freelist_count * page_size FROM pragma_freelist_count(), pragma_page_size()`).Scan(&size); err != nil {
			t.Fatal(err)
		}
		return n - size
	}
	before := pages()
	const epochs = 200
	for e := 1; e <= epochs; e++ {
		if err := db.AddEpochAnalysis(ctx, run.ID, testAnalysis(e)); err != nil {
			t.Fatal(err)
		}
	}
	perEpoch := float64(pages()-before) / epochs
	t.Logf("%.0f bytes of database per epoch (matrix and bitset of 10,000 images)", perEpoch)
	if perEpoch > 2048 {
		t.Errorf("an epoch's analysis takes %.0f bytes of database, want at most 2,048", perEpoch)
	}
}

func TestWarningsReadBackInOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, _ := db.CreateRun(ctx, testConfig(), t0)
	want := []fmnist.Warning{
		{Kind: fmnist.WarnDivergence, Epoch: 1, Batch: 51, X: 0.4, Message: "diverging", Time: t0},
		{Kind: fmnist.WarnPlateau, Epoch: 2, X: 2, Message: "flat", Time: t0.Add(time.Minute)},
	}
	for _, w := range want {
		if err := db.AddWarning(ctx, run.ID, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Warnings(ctx, run.ID)
	if err != nil || len(got) != 2 || got[0].Message != "diverging" || got[1].Kind != fmnist.WarnPlateau || !got[1].Time.Equal(want[1].Time) || got[0].X != 0.4 {
		t.Errorf("Warnings = %+v, %v; want %+v", got, err, want)
	}
	if err := db.AddWarning(ctx, 99, want[0]); fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Errorf("a warning of an unknown run: %v, want ENOTFOUND", err)
	}
}
