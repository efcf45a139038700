package main

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTorchArgsPassEverySetting(t *testing.T) {
	s := settings{torchRef: "bench/torch_ref.py", dataDir: "data", epochs: 2, limit: 640, threads: 3, batch: 32, lr: 0.0005}
	got := strings.Join(torchArgs(s), " ")
	want := "bench/torch_ref.py data --epochs 2 --limit 640 --threads 3 --batch 32 --lr 0.0005 --standardize --mean 0.286 --std 0.353"
	if got != want {
		t.Errorf("torchArgs =\n%s\nwant\n%s", got, want)
	}
}

func TestMedianAndSpread(t *testing.T) {
	train := func(f figures) float64 { return f.trainIPS }
	odd := []figures{{trainIPS: 900}, {trainIPS: 500}, {trainIPS: 700}}
	if got := median(odd, train); got != 700 {
		t.Errorf("median of 900, 500, 700 = %g, want 700", got)
	}
	if got := spread(odd, train, "%.0f"); got != "700 [500–900]" {
		t.Errorf("spread = %q", got)
	}
	even := []figures{{trainIPS: 4}, {trainIPS: 1}, {trainIPS: 2}, {trainIPS: 8}}
	if got := median(even, train); got != 3 {
		t.Errorf("median of 4, 1, 2, 8 = %g, want 3", got)
	}
	if !slices.Equal(values(odd, train), []float64{500, 700, 900}) {
		t.Errorf("values are not sorted: %v", values(odd, train))
	}
}
