package data

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/ml/data/datatest"
)

func smallSet(t testing.TB, n int) Set {
	t.Helper()
	pixels, labels := datatest.Synthetic(n, 5)
	return Set{Images: pixels, Labels: labels, Count: n, Rows: ImageRows, Cols: ImageCols}
}

func TestImageIsTheRightSliceAndCannotGrowIntoTheNext(t *testing.T) {
	set := smallSet(t, 3)
	img := set.Image(1)
	if len(img) != ImageSize || &img[0] != &set.Images[ImageSize] {
		t.Fatalf("Image(1) is not pixels 784..1567 of the set")
	}
	next := set.Images[2*ImageSize]
	_ = append(img, 255)
	if set.Images[2*ImageSize] != next {
		t.Error("appending to Image(1) overwrote image 2")
	}
}

func TestNormalizeScalesInIndexOrder(t *testing.T) {
	set := smallSet(t, 4)
	set.Images[2*ImageSize] = 255
	set.Images[2*ImageSize+1] = 0
	set.Images[2*ImageSize+2] = 51
	dst := make([]float32, 2*ImageSize)
	set.Normalize(dst, []int{2, 0})

	standard := func(v float64) float32 { return float32((v/255 - PixelMean) / PixelStd) }
	if dst[0] != standard(255) || dst[1] != standard(0) || dst[2] != standard(51) {
		t.Errorf("first image starts %v, want %v", dst[:3], []float32{standard(255), standard(0), standard(51)})
	}
	if math.Abs(float64(dst[0])-2.0227) > 1e-3 || math.Abs(float64(dst[1])+0.8102) > 1e-3 {
		t.Errorf("white and black map to %v and %v, want about 2.0227 and -0.8102", dst[0], dst[1])
	}
	for p, v := range set.Image(0) {
		if dst[ImageSize+p] != standard(float64(v)) {
			t.Fatalf("dst[%d] = %v, want pixel %d of image 0 standardised = %v", ImageSize+p, dst[ImageSize+p], p, standard(float64(v)))
		}
	}
}

func TestNormalizePanicsOnShortDst(t *testing.T) {
	set := smallSet(t, 2)
	defer func() {
		if recover() == nil {
			t.Error("Normalize with a short dst did not panic")
		}
	}()
	set.Normalize(make([]float32, ImageSize), []int{0, 1})
}

func TestShuffleIsAReproduciblePermutation(t *testing.T) {
	a := Shuffle(1000, 42, 1)
	if !slices.Equal(a, Shuffle(1000, 42, 1)) {
		t.Error("same seed and epoch gave different orders")
	}
	if slices.Equal(a, Shuffle(1000, 42, 2)) {
		t.Error("epochs 1 and 2 gave the same order")
	}
	if slices.Equal(a, Shuffle(1000, 43, 1)) {
		t.Error("seeds 42 and 43 gave the same order")
	}
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("not a permutation of 0..999: sorted[%d] = %d", i, v)
		}
	}
	if slices.IsSorted(a) {
		t.Error("the permutation is the identity")
	}
}

func TestLoadDatasetReportsTheBadFile(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 30, 10, 1)
	ds, err := LoadDataset(dir)
	if err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	if ds.Train.Count != 30 || ds.Test.Count != 10 || len(ds.Train.Images) != 30*ImageSize {
		t.Fatalf("loaded %d/%d images, want 30/10", ds.Train.Count, ds.Test.Count)
	}

	_, labels := datatest.Synthetic(10, 1)
	labels[3] = 12
	if err := os.WriteFile(filepath.Join(dir, TestLabelsFile), datatest.EncodeLabels(labels), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDataset(dir)
	if err == nil || !strings.Contains(err.Error(), TestLabelsFile) || !strings.Contains(err.Error(), "label 12") {
		t.Errorf("err = %v, want one naming %s and label 12", err, TestLabelsFile)
	}
}

func TestDatasetReadyNeedsMarkerAndUnchangedFiles(t *testing.T) {
	dir := t.TempDir()
	if DatasetReady(dir) {
		t.Fatal("an empty directory is ready")
	}
	datatest.WriteDataset(t, dir, 20, 10, 1)
	if DatasetReady(dir) {
		t.Fatal("files without the verified marker count as ready")
	}
	sizes := map[string]int64{}
	for _, name := range DatasetFiles {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sizes[name] = info.Size()
	}
	if err := writeVerifiedMarker(dir, verifiedMarker{Sizes: sizes}); err != nil {
		t.Fatal(err)
	}
	if !DatasetReady(dir) {
		t.Fatal("files with a matching marker are not ready")
	}
	if err := os.WriteFile(filepath.Join(dir, TrainLabelsFile), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if DatasetReady(dir) {
		t.Error("a file whose size changed since verification still counts as ready")
	}
	if err := os.Remove(filepath.Join(dir, TrainLabelsFile)); err != nil {
		t.Fatal(err)
	}
	if DatasetReady(dir) {
		t.Error("a missing file still counts as ready")
	}
}

func BenchmarkNormalizeBatch64(b *testing.B) {
	set := smallSet(b, 256)
	indices := Shuffle(set.Count, 1, 1)[:64]
	dst := make([]float32, 64*ImageSize)
	b.SetBytes(64 * ImageSize)
	for b.Loop() {
		set.Normalize(dst, indices)
	}
}

func BenchmarkShuffle60000(b *testing.B) {
	for b.Loop() {
		Shuffle(60000, 1, 1)
	}
}
