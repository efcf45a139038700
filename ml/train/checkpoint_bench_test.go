package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

// BenchmarkCheckpoint measures writing and reading a resumable checkpoint
// (version 2: weights and Adam's two moments) and reports its size.
func BenchmarkCheckpoint(b *testing.B) {
	net, err := nn.NewNetwork(1, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Close()
	cfg := fmnist.DefaultConfig()
	meta := CheckpointMeta{RunID: "bench", Epoch: 1, Batch: 100, Config: &cfg, Position: &Position{TrainImages: 60000}}
	path := filepath.Join(b.TempDir(), "bench.ckpt")
	b.Run("save", func(b *testing.B) {
		for b.Loop() {
			if err := SaveCheckpoint(path, net, meta); err != nil {
				b.Fatal(err)
			}
		}
		if info, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(info.Size()), "bytes/file")
		}
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := ReadCheckpoint(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-version-1", func(b *testing.B) {
		for b.Loop() {
			data, err := encodeCheckpoint(net.Params(), nil, meta)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(data)), "bytes/file")
		}
	})
}
