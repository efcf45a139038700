package handlers_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// dataDirModes returns the permission bits of everything in dir (dir itself
// is "."), by path relative to dir.
func dataDirModes(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	modes := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		modes[rel] = info.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modes
}

// checkPrivate checks that the data dir's folders are 0700 and its files
// 0600, and that it holds the files this test expects.
func checkPrivate(t *testing.T, layout fmnist.Layout, want ...string) {
	t.Helper()
	modes := dataDirModes(t, layout.Dir)
	for _, name := range want {
		if _, ok := modes[name]; !ok {
			t.Errorf("the data dir has no %s; it has %v", name, modes)
		}
	}
	for name, mode := range modes {
		info, err := os.Lstat(filepath.Join(layout.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if wantMode := fs.FileMode(0o600); info.IsDir() && mode != 0o700 || !info.IsDir() && mode != wantMode {
			t.Errorf("%s has mode %04o, want %s", name, mode, map[bool]string{true: "0700", false: "0600"}[info.IsDir()])
		}
	}
}

// privateFiles are what a data dir holds after a dataset download and a
// run, while the app is open.
var privateFiles = []string{".", "fmnist.db", "fmnist.db-wal", "fmnist.db-shm",
	"checkpoints", filepath.Join("checkpoints", "run-1-e01.ckpt"),
	"fashion-mnist", filepath.Join("fashion-mnist", "train-images-idx3-ubyte.gz")}

// TestFreshDataDirIsPrivate lets the app create its data dir, download the
// dataset and train: no one but the owner may read any of it.
func TestFreshDataDirIsPrivate(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()
	id := a.startTraining(`{"epochs":1,"batch_size":32,"train_limit":64}`)
	a.waitRunEnded(id, 60*time.Second)
	checkPrivate(t, a.Layout, privateFiles...)
}

// TestExistingDataDirIsTightened opens a data dir that others can read, as
// older versions left it: the start makes it private and says so.
func TestExistingDataDirIsTightened(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir})
	first.prepareDataset()
	id := first.startTraining(`{"epochs":1,"batch_size":32,"train_limit":64}`)
	first.waitRunEnded(id, 60*time.Second)
	first.Stop()
	// A clean close removes the WAL; a crash leaves it, readable by others.
	if err := os.WriteFile(first.Layout.Database()+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o755)
		}
		return os.Chmod(path, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	checkPrivate(t, second.Layout, privateFiles...)
	log := second.logs.String()
	for _, want := range []string{"tightened", "fmnist.db 0644→0600", "checkpoints 0755→0700"} {
		if !strings.Contains(log, want) {
			t.Errorf("the start should log what it tightened (%q); log:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "tightened"); n != 1 {
		t.Errorf("%d log lines about tightening, want one:\n%s", n, log)
	}
}
