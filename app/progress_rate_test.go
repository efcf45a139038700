package app_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// progressLog keeps, for each published update that carries progress, when
// it was published, its newest Progress event and the state it carried.
type progressLog struct {
	mu      sync.Mutex
	at      []time.Time
	newest  []fmnist.Progress
	shown   []fmnist.Progress
	batches int // Progress events published in all
}

func (p *progressLog) Publish(u fmnist.Update) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last *fmnist.Progress
	for _, e := range u.Train {
		if pr, ok := e.(fmnist.Progress); ok {
			last = &pr
			p.batches++
		}
	}
	if last != nil {
		p.at = append(p.at, time.Now())
		p.newest = append(p.newest, *last)
		p.shown = append(p.shown, u.State.Training.Progress)
	}
}

// The trainer reports every batch without waiting; viewers get the
// progress at most every 100 ms, the newest of each interval, and the last
// batch of the run is never lost.
func TestProgressIsCoalesced(t *testing.T) {
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	log := &progressLog{}
	f.svc.SetPublisher(log)
	cfg := fmnist.Config{Epochs: 2, BatchSize: 4, LR: 0.003, Seed: 3}
	id, err := f.svc.StartTraining(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, f.svc, "the run to end", ended(id))
	f.close() // the last flush is done

	log.mu.Lock()
	defer log.mu.Unlock()
	perEpoch := cfg.BatchesPerEpoch(trainImages)
	if want := cfg.Epochs * perEpoch; log.batches != want {
		t.Errorf("%d progress events reached the publisher, want every batch's (%d)", log.batches, want)
	}
	for i := 1; i < len(log.at); i++ {
		if gap := log.at[i].Sub(log.at[i-1]); gap < 95*time.Millisecond {
			t.Errorf("progress published %v after the previous one, want at least 100 ms between", gap)
		}
	}
	for i := range log.newest {
		if log.shown[i] != log.newest[i] {
			t.Errorf("update %d shows progress %+v, not its newest event %+v", i, log.shown[i], log.newest[i])
		}
	}
	if len(log.newest) == 0 {
		t.Fatal("no progress was published")
	}
	last := log.newest[len(log.newest)-1]
	if last.Epoch != cfg.Epochs || last.Batch != perEpoch {
		t.Errorf("the last progress published is epoch %d batch %d, want the run's last batch (epoch %d batch %d)",
			last.Epoch, last.Batch, cfg.Epochs, perEpoch)
	}
}
