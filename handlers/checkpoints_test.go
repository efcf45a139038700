package handlers_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStaleCheckpointTempFilesAreRemovedAtStart plants what a kill during a
// checkpoint write leaves behind and checks that a start removes it, says
// so in the log, and leaves the real checkpoints alone.
func TestStaleCheckpointTempFilesAreRemovedAtStart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir})
	dir := first.Layout.Checkpoints()
	first.Stop()

	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := []string{".run-2.ckpt.tmp-123456", ".run-3-e04.ckpt.tmp-98765"}
	kept := []string{"run-1-e01.ckpt", "notes.txt"}
	for _, name := range append(slices.Clone(stale), kept...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("half a checkpoint"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("stale temporary file %s survived the start (stat: %v)", name, err)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s should be left alone: %v", name, err)
		}
	}
	if log := second.logs.String(); !strings.Contains(log, "stale temporary checkpoint files") || !strings.Contains(log, stale[0]) {
		t.Errorf("the start should log the files it removed; log:\n%s", log)
	}
}
