package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// TestReadersWhileWriting checks that WAL mode lets readers run while the
// consumer writes, and that two writers (the consumer and a request handler)
// wait for each other instead of failing with SQLITE_BUSY.
func TestReadersWhileWriting(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	run, err := db.CreateRun(ctx, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}

	batches, batchSize, readers := 100, 20, 4
	if testing.Short() {
		batches = 30
	}
	done := make(chan struct{})
	errs := make(chan error, readers+2)
	var writers, readersWG sync.WaitGroup

	writers.Add(2)
	go func() { // the event consumer
		defer writers.Done()
		points := make([]fmnist.LossPoint, batchSize)
		for i := range batches {
			for j := range points {
				points[j] = fmnist.LossPoint{Epoch: float64(i*batchSize + j), Loss: 1}
			}
			if err := db.AddLossPoints(ctx, run.ID, points); err != nil {
				errs <- fmt.Errorf("writer batch %d: %w", i, err)
				return
			}
			if err := db.AddLogs(ctx, run.ID, []fmnist.LogEntry{{Time: t0, Level: fmnist.LevelInfo, Message: "batch"}}); err != nil {
				errs <- fmt.Errorf("writer logs %d: %w", i, err)
				return
			}
		}
	}()
	go func() { // a handler starting and ending other runs meanwhile
		defer writers.Done()
		for i := range batches / 5 {
			r, err := db.CreateRun(ctx, testConfig(), t0)
			if err == nil {
				err = db.SetRunStatus(ctx, r.ID, fmnist.StatusFinished, "", time.Now())
			}
			if err != nil {
				errs <- fmt.Errorf("second writer %d: %w", i, err)
				return
			}
		}
	}()

	for r := range readers {
		readersWG.Add(1)
		go func() {
			defer readersWG.Done()
			seen := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				points, err := db.LossPoints(ctx, run.ID)
				if err == nil {
					_, err = db.RecentLogs(ctx, 50)
				}
				if err == nil {
					_, err = db.Runs(ctx, 10)
				}
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				// Each read sees a committed snapshot: whole batches, never fewer than before.
				if len(points) < seen || len(points)%batchSize != 0 {
					errs <- fmt.Errorf("reader %d saw %d points after %d", r, len(points), seen)
					return
				}
				seen = len(points)
			}
		}()
	}

	writers.Wait()
	close(done)
	readersWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if points, err := db.LossPoints(ctx, run.ID); err != nil || len(points) != batches*batchSize {
		t.Errorf("after writing: %d points, %v; want %d", len(points), err, batches*batchSize)
	}
}
