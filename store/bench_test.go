package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// BenchmarkAddLossPoints measures one AddLossPoints call (one transaction) per
// batch size; the consumer drains a few to a few hundred points at a time.
func BenchmarkAddLossPoints(b *testing.B) {
	for _, size := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b)
			run, err := db.CreateRun(ctx, fmnist.DefaultConfig(), t0)
			if err != nil {
				b.Fatal(err)
			}
			points := make([]fmnist.LossPoint, size)
			for i := range points {
				points[i] = fmnist.LossPoint{Epoch: float64(i) / float64(size), Loss: 2.3 / float64(i+1)}
			}
			for b.Loop() {
				if err := db.AddLossPoints(ctx, run.ID, points); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
