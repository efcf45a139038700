package fmnist

import "path/filepath"

// Layout is where the app keeps its files in its data dir. It is the one
// owner of that layout: the server, the command line and the tests ask it
// rather than joining folder names themselves.
type Layout struct {
	Dir string // the data dir, e.g. ./data
}

// Database is the SQLite file with the runs, their curves and logs.
func (l Layout) Database() string { return filepath.Join(l.Dir, "fmnist.db") }

// Dataset is the folder of the four Fashion-MNIST IDX files.
func (l Layout) Dataset() string { return filepath.Join(l.Dir, "fashion-mnist") }

// Checkpoints is the folder of the runs' saved models.
func (l Layout) Checkpoints() string { return filepath.Join(l.Dir, "checkpoints") }
