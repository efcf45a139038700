// Package datatest writes small synthetic Fashion-MNIST-shaped datasets for
// tests: four valid gzip IDX files plus SHA256SUMS, with images a small CNN
// (or even a linear model) learns within a few hundred steps.
//
// It deliberately does not import package data, so tests inside package data
// can use it without an import cycle. The file names and formats below match
// data.TrainImagesFile and friends.
package datatest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// File names, as in package data.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
	SumsFile        = "SHA256SUMS"
)

// Image geometry and the IDX magic numbers.
const (
	Rows        = 28
	Cols        = 28
	ImageSize   = Rows * Cols
	Classes     = 10
	ImagesMagic = 2051
	LabelsMagic = 2049
)

// IDX encodes an uncompressed IDX file: the magic number, one big-endian
// uint32 per dimension, then data as is. It does not check that dims and
// data agree, so tests can build corrupt files with it.
func IDX(magic uint32, dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(4*(1+len(dims)) + len(data))
	_ = binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// Gzip compresses b as a single gzip member.
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, _ = zw.Write(b) // writes to a bytes.Buffer cannot fail
	_ = zw.Close()
	return out.Bytes()
}

// EncodeImages returns a gzip-compressed IDX image file holding the 28×28
// images in pixels (len(pixels)/784 of them).
func EncodeImages(pixels []uint8) []byte {
	return Gzip(IDX(ImagesMagic, []int{len(pixels) / ImageSize, Rows, Cols}, pixels))
}

// EncodeLabels returns a gzip-compressed IDX label file.
func EncodeLabels(labels []uint8) []byte {
	return Gzip(IDX(LabelsMagic, []int{len(labels)}, labels))
}

// Synthetic returns n images (n*784 pixels) and their labels. Every class
// draws a bright block at its own place on a 2×5 grid, jittered by a pixel
// and over a noisy background; labels cycle through all classes in a
// shuffled order so even tiny sets hold every class.
func Synthetic(n int, seed int64) (pixels, labels []uint8) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	pixels = make([]uint8, n*ImageSize)
	labels = make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % Classes)
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	for i, class := range labels {
		img := pixels[i*ImageSize : (i+1)*ImageSize]
		for p := range img {
			img[p] = uint8(rng.IntN(48))
		}
		top := 3 + int(class/5)*13 + rng.IntN(3) - 1
		left := 1 + int(class%5)*5 + rng.IntN(3) - 1
		for y := max(top, 0); y < min(top+9, Rows); y++ {
			for x := max(left, 0); x < min(left+5, Cols); x++ {
				img[y*Cols+x] = uint8(160 + rng.IntN(96))
			}
		}
	}
	return pixels, labels
}

// Files returns the contents of the four dataset files and of SHA256SUMS,
// keyed by file name: nTrain training and nTest test images. The test split
// is drawn from a different random stream than the training split.
func Files(nTrain, nTest int, seed int64) map[string][]byte {
	trainPixels, trainLabels := Synthetic(nTrain, seed)
	testPixels, testLabels := Synthetic(nTest, ^seed)
	files := map[string][]byte{
		TrainImagesFile: EncodeImages(trainPixels),
		TrainLabelsFile: EncodeLabels(trainLabels),
		TestImagesFile:  EncodeImages(testPixels),
		TestLabelsFile:  EncodeLabels(testLabels),
	}
	files[SumsFile] = SHA256Sums(files)
	return files
}

// SHA256Sums formats the checksums of files the way sha256sum prints them,
// in a fixed order so the output is reproducible.
func SHA256Sums(files map[string][]byte) []byte {
	var b bytes.Buffer
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		data, ok := files[name]
		if !ok {
			continue
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return b.Bytes()
}

// WriteDatasetFiles writes the four dataset files and SHA256SUMS into dir,
// creating it if needed.
func WriteDatasetFiles(dir string, nTrain, nTest int, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create dataset dir: %w", err)
	}
	for name, data := range Files(nTrain, nTest, seed) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// WriteDataset is WriteDatasetFiles for tests: it fails the test on error.
// The files are valid but not yet "prepared"; to get a directory that
// data.DatasetReady accepts, prepare from it, e.g.
// data.PrepareDataset(ctx, dir, dir, nil) verifies it in place.
func WriteDataset(t testing.TB, dir string, nTrain, nTest int, seed int64) {
	t.Helper()
	if err := WriteDatasetFiles(dir, nTrain, nTest, seed); err != nil {
		t.Fatalf("datatest.WriteDataset: %v", err)
	}
}

// SharedDir returns the full Fashion-MNIST kept beside the repository, in
// ../shared/data/fashion-mnist from the module root. Without it the test is
// skipped, or fails when CI=true, where the copy is expected.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	root, err := moduleRoot()
	if err == nil {
		dir := filepath.Join(root, "..", "shared", "data", "fashion-mnist")
		if _, err = os.Stat(filepath.Join(dir, SumsFile)); err == nil {
			return dir
		}
	}
	msg := fmt.Sprintf("the shared Fashion-MNIST copy is absent (%v)", err)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// moduleRoot is the nearest folder above the working directory with a go.mod;
// go test runs each package in its own folder.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
