package datatest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
)

func TestWriteDatasetLoadsWithML(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 120, 30, 7)

	ds, err := data.LoadDataset(dir)
	if err != nil {
		t.Fatalf("LoadDataset: %v", err)
	}
	if ds.Train.Count != 120 || ds.Test.Count != 30 {
		t.Fatalf("counts = %d/%d, want 120/30", ds.Train.Count, ds.Test.Count)
	}
	for _, set := range []data.Set{ds.Train, ds.Test} {
		var perClass [fmnist.NumClasses]int
		for _, l := range set.Labels {
			perClass[l]++
		}
		for c, n := range perClass {
			if n == 0 {
				t.Errorf("class %d has no examples in a set of %d", c, set.Count)
			}
		}
	}
}

func TestSHA256SUMSMatchesFiles(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 20, 10, 1)
	sums, err := os.ReadFile(filepath.Join(dir, datatest.SumsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 4 {
		t.Fatalf("SHA256SUMS has %d lines, want 4:\n%s", len(lines), sums)
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("line %q is not in sha256sum format", line)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA256SUMS says %s, file hashes to %x", name, sum, got)
		}
	}
}

func TestSyntheticIsReproducible(t *testing.T) {
	a, la := datatest.Synthetic(50, 3)
	b, lb := datatest.Synthetic(50, 3)
	c, _ := datatest.Synthetic(50, 4)
	if !bytes.Equal(a, b) || !bytes.Equal(la, lb) {
		t.Error("same seed gave different data")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same images")
	}
}

// The synthetic classes must be learnable: a nearest-centroid classifier
// fitted on the training split should classify the test split almost
// perfectly. A CNN does at least as well.
func TestSyntheticIsLearnable(t *testing.T) {
	trainX, trainY := datatest.Synthetic(500, 11)
	testX, testY := datatest.Synthetic(200, 12)

	var centroids [datatest.Classes][datatest.ImageSize]float64
	var counts [datatest.Classes]int
	for i, y := range trainY {
		counts[y]++
		for p, v := range trainX[i*datatest.ImageSize : (i+1)*datatest.ImageSize] {
			centroids[y][p] += float64(v)
		}
	}
	for c := range centroids {
		for p := range centroids[c] {
			centroids[c][p] /= float64(counts[c])
		}
	}
	correct := 0
	for i, y := range testY {
		img := testX[i*datatest.ImageSize : (i+1)*datatest.ImageSize]
		best, bestDist := -1, 0.0
		for c := range centroids {
			dist := 0.0
			for p, v := range img {
				d := float64(v) - centroids[c][p]
				dist += d * d
			}
			if best < 0 || dist < bestDist {
				best, bestDist = c, dist
			}
		}
		if best == int(y) {
			correct++
		}
	}
	if acc := float64(correct) / float64(len(testY)); acc < 0.95 {
		t.Errorf("nearest-centroid accuracy %.3f, want >= 0.95", acc)
	}
}

func TestCorruptVariantsAreRejected(t *testing.T) {
	pixels, labels := datatest.Synthetic(3, 1)
	cases := map[string][]byte{
		"wrong magic":      datatest.Gzip(datatest.IDX(2049, []int{3, 28, 28}, pixels)),
		"declares too few": datatest.Gzip(datatest.IDX(datatest.ImagesMagic, []int{2, 28, 28}, pixels)),
	}
	for name, file := range cases {
		path := filepath.Join(t.TempDir(), "images.gz")
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := data.ReadImagesFile(path); err == nil {
			t.Errorf("%s: ReadImagesFile accepted it", name)
		}
	}
	good := filepath.Join(t.TempDir(), "labels.gz")
	if err := os.WriteFile(good, datatest.EncodeLabels(labels), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := data.ReadLabelsFile(good); err != nil || !bytes.Equal(got, labels) {
		t.Errorf("ReadLabelsFile = %v, %v; want %v", got, err, labels)
	}
}

func ExampleWriteDatasetFiles() {
	dir, _ := os.MkdirTemp("", "fmnist")
	defer os.RemoveAll(dir)
	if err := datatest.WriteDatasetFiles(dir, 100, 20, 1); err != nil {
		panic(err)
	}
	ds, err := data.LoadDataset(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(ds.Train.Count, ds.Test.Count)
	// Output: 100 20
}
