package bundle_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/bundle/bundletest"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

func sample(t testing.TB) (bundle.Bundle, []export.Spec) {
	t.Helper()
	net, err := nn.NewNetwork(3, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	params := net.Params()
	for i := range params {
		params[i].Data = append([]float32(nil), params[i].Data...)
	}
	adam := net.AdamState()
	adam.Step = 16
	sums := map[string]string{}
	for _, f := range bundle.DatasetFiles {
		sums[f] = strings.Repeat("ab", 32)
	}
	end := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return bundle.Bundle{
		Manifest: bundle.Manifest{Format: bundle.FormatVersion, AppVersion: "test", RunID: 4, Status: fmnist.StatusFinished,
			StartedAt: end.Add(-time.Minute), EndedAt: end, Config: fmnist.Config{Epochs: 2, BatchSize: 32, LR: 1e-3, Seed: 5, TrainLimit: 256},
			Seed: 5, Preset: "default", Architecture: nn.Architecture, KernelPath: "avx512", DatasetSHA256: sums,
			Model: bundle.ModelState{Epoch: 2, TestAccuracy: 0.5, SavedAt: end, Position: train.Position{TrainImages: 256},
				Optimizer: bundle.Optimizer{Name: "adam", Step: 16, Beta1: adam.Beta1, Beta2: adam.Beta2, Eps: adam.Eps}}},
		Weights: params, Adam: adam,
		Loss:      []fmnist.LossPoint{{Epoch: 0.125, Loss: 2.3}, {Epoch: 1, Loss: 1.1}},
		Epochs:    []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.4, TestLoss: 1.5, TrainLoss: 1.7, ImagesPerSec: 900, Seconds: 0.3}},
		Confusion: nil,
	}, export.SpecsOf(params)
}

func encode(t testing.TB, b bundle.Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestABundleReadsBackAsItWasWritten(t *testing.T) {
	b, specs := sample(t)
	b.Confusion = make([][]int, 10)
	for i := range b.Confusion {
		b.Confusion[i] = make([]int, 10)
		b.Confusion[i][i] = 10 + i
	}
	data := encode(t, b)
	got, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{"manifest": {got.Manifest, b.Manifest}, "weights": {got.Weights, b.Weights},
		"adam": {got.Adam, b.Adam}, "loss": {got.Loss, b.Loss}, "epochs": {got.Epochs, b.Epochs}, "confusion": {got.Confusion, b.Confusion}} {
		if !jsonEqual(t, pair[0], pair[1]) {
			t.Errorf("%s read back differs", name)
		}
	}
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("writing the read bundle again gives other bytes")
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestMalformedBundlesAreRefusedSayingWhy(t *testing.T) {
	b, specs := sample(t)
	for name, c := range bundletest.Malformed(t, encode(t, b)) {
		t.Run(name, func(t *testing.T) {
			_, err := bundle.Read(c.Data, bundle.Fixed(nn.Architecture, specs))
			if err == nil {
				t.Fatal("read without an error")
			}
			if !strings.Contains(err.Error(), c.Want) {
				t.Errorf("error %q does not say %q", err, c.Want)
			}
		})
	}
}

// FuzzRead feeds the reader mutations of a small bundle: the real
// manifest and history with a two-tensor "network", so that the fuzzer
// spends its time on the format rather than on megabytes of weights.
func FuzzRead(f *testing.F) {
	b, _ := sample(f)
	b.Weights = []nn.Param{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "b", Shape: []int{2}, Data: []float32{5, 6}}}
	b.Adam.M = [][]float32{{0, 0, 0, 0}, {0, 0}}
	b.Adam.V = [][]float32{{1, 1, 1, 1}, {1, 1}}
	specs := export.SpecsOf(b.Weights)
	good := encode(f, b)
	if _, err := bundle.Read(good, bundle.Fixed(nn.Architecture, specs)); err != nil {
		f.Fatalf("the seed does not read: %v", err)
	}
	f.Add(good)
	f.Add(good[:200])
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs))
		if err != nil {
			return
		}
		// Whatever reads must hold the network's tensors and write again.
		if len(got.Weights) != len(specs) {
			t.Fatalf("read %d tensors, want %d", len(got.Weights), len(specs))
		}
		var buf bytes.Buffer
		if err := bundle.Write(&buf, got); err != nil {
			t.Fatalf("a bundle that reads does not write: %v", err)
		}
	})
}
