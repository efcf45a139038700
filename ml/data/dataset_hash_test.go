package data

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fmnist/trainer/ml/data/datatest"
)

// TestDatasetSHA256ReadsTheMarkerOfAPreparedDataset prepares a dataset in
// place: the sums come from its marker, and equal the files' own. A sum
// changed in the marker shows through (the files are not read again); a
// marker without sums falls back to hashing the files.
func TestDatasetSHA256ReadsTheMarkerOfAPreparedDataset(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 20, 10, 3)
	want := map[string]string{}
	for _, name := range DatasetFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want[name] = hex.EncodeToString(sum[:])
	}
	if got, err := DatasetSHA256(dir); err != nil || !maps.Equal(got, want) {
		t.Fatalf("before preparing: %v, %v; want the files' sums %v", got, err, want)
	}
	if err := testDownloader(t, nil).Prepare(t.Context(), dir, dir); err != nil {
		t.Fatal(err)
	}
	if got, err := DatasetSHA256(dir); err != nil || !maps.Equal(got, want) {
		t.Fatalf("prepared: %v, %v; want %v", got, err, want)
	}

	m, err := readVerifiedMarker(dir)
	if err != nil {
		t.Fatal(err)
	}
	recorded := strings.Repeat("ab", sha256.Size)
	m.SHA256[TrainImagesFile] = recorded
	if err := writeVerifiedMarker(dir, m); err != nil {
		t.Fatal(err)
	}
	if got, _ := DatasetSHA256(dir); got[TrainImagesFile] != recorded {
		t.Errorf("the train images' sum is %s, want the marker's %s: the file was hashed again", got[TrainImagesFile], recorded)
	}

	m.SHA256 = nil
	if err := writeVerifiedMarker(dir, m); err != nil {
		t.Fatal(err)
	}
	if got, err := DatasetSHA256(dir); err != nil || !maps.Equal(got, want) {
		t.Errorf("a marker without sums: %v, %v; want the files hashed, %v", got, err, want)
	}
}

func TestDatasetSHA256NamesAMissingFile(t *testing.T) {
	dir := t.TempDir()
	datatest.WriteDataset(t, dir, 20, 10, 3)
	if err := os.Remove(filepath.Join(dir, TestLabelsFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := DatasetSHA256(dir); err == nil || !strings.Contains(err.Error(), TestLabelsFile) {
		t.Errorf("error %v, want one naming %s", err, TestLabelsFile)
	}
}
