package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/app/priority"
	"github.com/fmnist/trainer/fmnist"
)

// TestTrainingRunsAtTheTrainNiceValue: while a run trains the process is at
// Options.TrainNice, and when it ends the priority is what it was.
func TestTrainingRunsAtTheTrainNiceValue(t *testing.T) {
	was, err := priority.Nice(unix.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	const trainNice = 7
	if was >= trainNice {
		t.Skipf("the test already runs at nice %d", was)
	}
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil,
		func(o *app.Options) { o.TrainNice = trainNice })
	id, err := f.svc.StartTraining(ctx, fmnist.Config{Epochs: 500, BatchSize: 32, LR: 0.002, Seed: 5, TrainLimit: 128})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "epoch 1", func(st fmnist.State) bool { return st.Training.LastEpoch.Epoch >= 1 })
	if n, _ := priority.Nice(unix.Gettid()); n != trainNice {
		t.Errorf("nice %d while training, want %d", n, trainNice)
	}
	if err := f.svc.StopTraining(); err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "the stop", ended(id))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, _ := priority.Nice(unix.Gettid())
		if n == was {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nice %d after the run, want %d back", n, was)
		}
	}
}
