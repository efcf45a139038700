package store

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// The per-example dynamics are read from the epochs' bitsets of right
// answers; issue 12's target is at most 2 KB per epoch and run in SQLite.
// The test stores 100 epochs of a run with bitsets of random bits (nothing
// to gain from any packing) and measures how much the database file grew:
// the bitsets, with the confusion matrices that share the write, their
// rows, indexes and page slack.
func TestDynamicsTakeAtMost2KBPerEpoch(t *testing.T) {
	const epochs, images, target = 100, 10_000, 2048
	ctx := context.Background()
	db := openTest(t)
	run, err := db.CreateRun(ctx, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}
	before := dbBytes(t, db)
	r := rand.New(rand.NewPCG(1, 2))
	for e := 1; e <= epochs; e++ {
		a := testAnalysis(e)
		for i := range a.Correct {
			a.Correct[i] = byte(r.UintN(256))
		}
		if err := db.AddEpochAnalysis(ctx, run.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	perEpoch := float64(dbBytes(t, db)-before) / epochs
	t.Logf("%.0f bytes per epoch for the bitset of %d images (%d bytes) and the confusion matrix", perEpoch, images, len(fmnist.NewBitset(images)))
	if perEpoch > target {
		t.Errorf("an epoch's analysis takes %.0f bytes in SQLite, want at most %d", perEpoch, target)
	}
}

// dbBytes is the database's size once the write-ahead log is folded in.
func dbBytes(t *testing.T, db *DB) int64 {
	t.Helper()
	if _, err := db.sql.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var pages, size int64
	if err := db.sql.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	return pages * size
}
