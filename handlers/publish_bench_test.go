package handlers_test

import (
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers"
)

// BenchmarkPublish measures what the pump pays per update for rendering its
// events (each in HTML and in JSON) and handing them to the hub, with no
// viewer connected, and how much the hub keeps for resuming viewers once
// its ring of recent events is full.
//
//	go test -run '^$' -bench Publish -benchmem ./handlers/
func BenchmarkPublish(b *testing.B) {
	st := fmnist.State{
		Dataset:  fmnist.DatasetState{Status: fmnist.StatusReady, Train: 60000, Test: 10000},
		Training: fmnist.TrainingState{Status: fmnist.StatusTraining, RunID: 3, Config: fmnist.DefaultConfig()},
		HasModel: true,
	}
	batch := func(i int) fmnist.Update {
		u := fmnist.Update{RunID: 3, State: st}
		p := fmnist.Progress{Epoch: 1, Epochs: 2, Batch: i % 938, Batches: 938, Loss: 0.4, AvgLoss: 0.5, Percent: 40, ImagesPerSec: 5000}
		u.State.Training.Progress = p
		u.Train = append(u.Train, p, fmnist.LogEntry{Time: time.Now(), Level: fmnist.LevelInfo,
			Message: "Epoch 1/2, batch 375/938 (40%): loss 0.4012, avg loss 0.5120, 5012 img/s"})
		for j := range 8 {
			u.Train = append(u.Train, fmnist.LossPoint{Epoch: float64(i*8+j) / 938, Loss: 0.4})
		}
		return u
	}
	for _, c := range []struct {
		name   string
		update func(i int) fmnist.Update
	}{
		{"batch", batch}, // progress, a log line, 8 loss points: the pump's usual update
		{"status", func(i int) fmnist.Update { // a status change: status, progress and predictions panels
			u := batch(i)
			u.Train = []fmnist.Event{fmnist.StatusChange{Status: fmnist.StatusTraining}}
			return u
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			web := handlers.New(&fakeService{state: st}, handlers.Options{Logger: slog.New(slog.DiscardHandler)})
			defer web.Close()
			before := heapInUse()
			i := 0
			for b.Loop() {
				web.Publish(c.update(i))
				i++
			}
			b.StopTimer()
			for ; i < 10000; i++ { // fill the ring of recent events
				web.Publish(c.update(i))
			}
			b.ReportMetric(float64(heapInUse()-min(before, heapInUse()))/(1<<20), "kept-MB")
			runtime.KeepAlive(web)
		})
	}
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
