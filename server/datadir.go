package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

// privateDataDir makes the data dir private to its owner before anything
// opens it. It creates a missing one 0700; in an existing one it takes the
// group's and others' permissions away from the folders and files the app
// keeps there (earlier versions left them 0755 and 0644, so anyone on the
// machine could read the runs and the models) and logs once what changed.
// It touches nothing else in the data dir, which may be a folder the user
// shares with other things, and follows no symbolic link inside it.
func privateDataDir(l fmnist.Layout, log *slog.Logger) error {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	t := tightener{dir: l.Dir}
	t.tighten(l.Dir, os.Stat) // the data dir itself may be a link to where the data lives
	db := l.Database()
	for _, path := range []string{db, db + "-wal", db + "-shm", db + "-journal"} {
		t.tighten(path, os.Lstat)
	}
	for _, dir := range []string{l.Checkpoints(), l.Dataset()} {
		t.tighten(dir, os.Lstat)
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.errs = append(t.errs, err)
		}
		for _, e := range entries {
			t.tighten(filepath.Join(dir, e.Name()), os.Lstat)
		}
	}
	if len(t.changed) > 0 {
		log.Warn("tightened the data dir's permissions: other users could read it",
			"dir", l.Dir, "changed", summarize(t.changed, 10))
	}
	if len(t.errs) > 0 {
		// The app still works; it is only less private than it should be.
		log.Warn("could not make the whole data dir private", "dir", l.Dir, "err", errors.Join(t.errs...))
	}
	return nil
}

// tightener takes group and other permissions away, noting what it changed
// (relative to dir) and what failed.
type tightener struct {
	dir     string
	changed []string
	errs    []error
}

// tighten clears the group and other bits of the folder or regular file at
// path, if it exists; stat says whether links are followed.
func (t *tightener) tighten(path string, stat func(string) (fs.FileInfo, error)) {
	info, err := stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.errs = append(t.errs, err)
		return
	}
	if !info.IsDir() && !info.Mode().IsRegular() {
		return // a link, a socket…: not something the app wrote
	}
	old := info.Mode().Perm()
	if old&0o077 == 0 {
		return
	}
	if err := os.Chmod(path, old&^0o077); err != nil {
		t.errs = append(t.errs, err)
		return
	}
	rel, err := filepath.Rel(t.dir, path)
	if err != nil {
		rel = path
	}
	t.changed = append(t.changed, fmt.Sprintf("%s %04o→%04o", rel, old, old&^0o077))
}

// summarize joins the first limit items and says how many more there are.
func summarize(items []string, limit int) string {
	if len(items) <= limit {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:limit], ", "), len(items)-limit)
}
