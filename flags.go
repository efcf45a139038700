package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fmnist/trainer/fmnist"
)

// newFlagSet returns a flag set that reports errors to the caller instead of
// exiting, so every command can print one clear line and exit with status 2.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once by flagError; -h prints usage below
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: fmnist %s [flags]\n", name)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// flagError prints err as one line and returns the exit status for it:
// 0 for -h, 2 for anything else.
func flagError(stderr io.Writer, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "fmnist %s: %v\n", cmd, err)
	return exitUsage
}

// envString returns the environment variable key, or def when it is unset.
func envString(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// applyEnv sets each flag that the command line left alone from its
// environment variable (flag name → variable), so a bad value in the
// environment is reported like a bad flag, naming the variable.
func applyEnv(fs *flag.FlagSet, vars map[string]string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, key := range vars {
		v, ok := os.LookupEnv(key)
		if !ok || given[name] {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s=%q: %w", key, v, err)
		}
	}
	return nil
}

// dataDirFlag and datasetURLFlag define the flags shared by every command.
func dataDirFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "data-dir", envString("FMNIST_DATA_DIR", "./data"), "folder for the database, the dataset and checkpoints (env FMNIST_DATA_DIR)")
}

func datasetURLFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "dataset-url", envString("FMNIST_DATASET_URL", ""), "where to download Fashion-MNIST from: http(s) URL, file:// URL or local folder (default: the official mirrors; env FMNIST_DATASET_URL)")
}

// keepCheckpointsFlag defines --keep-checkpoints, the retention setting of
// serve and train; pass the value to retention.
func keepCheckpointsFlag(fs *flag.FlagSet, p *int) {
	fs.IntVar(p, "keep-checkpoints", fmnist.DefaultRetention().Last, fmt.Sprintf(
		"checkpoints kept of a run longer than %d epochs: the last N plus the best by test accuracy; 0 keeps all (env FMNIST_KEEP_CHECKPOINTS)",
		fmnist.DefaultRetention().AllUpTo))
}

// checkKeepCheckpoints checks the value of --keep-checkpoints.
func checkKeepCheckpoints(n int) error {
	if n < 0 {
		return fmt.Errorf("--keep-checkpoints must be 0 (keep all) or more, got %d", n)
	}
	return nil
}

// retention turns the value of --keep-checkpoints into the setting.
func retention(keep int) fmnist.Retention {
	if keep <= 0 {
		return fmnist.Retention{}
	}
	return fmnist.Retention{AllUpTo: fmnist.DefaultRetention().AllUpTo, Last: keep}
}
