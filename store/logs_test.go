package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

func TestRecentLogsLastNOldestFirst(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if got, err := db.RecentLogs(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("RecentLogs of empty store: %v, %v", got, err)
	}
	run, _ := db.CreateRun(ctx, testConfig(), t0)

	var all []fmnist.LogEntry
	for i := range 7 {
		all = append(all, fmnist.LogEntry{
			// Same timestamp for some: order is the order of adding, not of time.
			Time:    t0.Add(time.Duration(i/2) * time.Second),
			Level:   []fmnist.Level{fmnist.LevelInfo, fmnist.LevelWarn, fmnist.LevelError, fmnist.LevelDebug}[i%4],
			Message: fmt.Sprintf("line %d", i),
		})
	}
	if err := db.AddLogs(ctx, 0, all[:3]); err != nil { // e.g. download logs
		t.Fatal(err)
	}
	if err := db.AddLogs(ctx, run.ID, all[3:]); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ limit, want int }{{3, 3}, {7, 7}, {100, 7}, {0, 7}} {
		got, err := db.RecentLogs(ctx, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		want := all[len(all)-tc.want:]
		if len(got) != len(want) {
			t.Fatalf("RecentLogs(%d) returned %d entries; want %d", tc.limit, len(got), len(want))
		}
		for i := range want {
			if got[i].Message != want[i].Message || got[i].Level != want[i].Level || !got[i].Time.Equal(want[i].Time) {
				t.Errorf("RecentLogs(%d)[%d] = %+v; want %+v", tc.limit, i, got[i], want[i])
			}
		}
	}
}

func TestAddLogsUnknownRunStoresNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	err := db.AddLogs(ctx, 3, []fmnist.LogEntry{{Time: t0, Level: fmnist.LevelInfo, Message: "lost?"}})
	if fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
		t.Fatalf("AddLogs to unknown run: %v; want an ENOTFOUND error", err)
	}
	if got, _ := db.RecentLogs(ctx, 0); len(got) != 0 {
		t.Errorf("stored %v; want nothing", got)
	}
}
