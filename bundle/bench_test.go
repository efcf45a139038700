package bundle_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/ml/nn"
)

// BenchmarkWrite writes the network's bundle (weights, Adam's moments, a
// short history); BenchmarkRead reads and checks it, as an import does.
func BenchmarkWrite(b *testing.B) {
	bu, _ := sample(b)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := bundle.Write(&buf, bu); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bundle-bytes")
}

func BenchmarkRead(b *testing.B) {
	bu, specs := sample(b)
	data := encode(b, bu)
	for b.Loop() {
		if _, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs)); err != nil {
			b.Fatal(err)
		}
	}
	io.Discard.Write(data)
}
