package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
)

// exitInterrupted is the conventional status of a command ended by Ctrl-C.
const exitInterrupted = 130

// runPrepare implements `fmnist prepare`: download and verify the dataset.
func runPrepare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("prepare", stderr)
	var dataDir, datasetURL string
	dataDirFlag(fs, &dataDir)
	datasetURLFlag(fs, &datasetURL)
	if err := parseFlags(fs, args); err != nil {
		return flagError(stderr, "prepare", err)
	}
	if fs.NArg() > 0 {
		return flagError(stderr, "prepare", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	dir := fmnist.Layout{Dir: dataDir}.Dataset()
	if data.DatasetReady(dir) {
		fmt.Fprintf(stdout, "Fashion-MNIST is already prepared in %s\n", dir)
		return 0
	}
	if err := prepareWithProgress(ctx, dir, datasetURL, stdout, stderr); err != nil {
		return commandError(ctx, stderr, "prepare", err)
	}
	fmt.Fprintf(stdout, "Fashion-MNIST is ready in %s\n", dir)
	return 0
}

// parseFlags parses like fs.Parse but prints the usage only for -h: the
// flag package calls Usage on every error too, and a bad flag deserves one
// line, not the whole flag list.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
	}
	return err
}

// commandError prints a failure as one line and picks the exit status:
// 130 when the user interrupted, 1 otherwise.
func commandError(ctx context.Context, stderr io.Writer, cmd string, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "fmnist %s: interrupted\n", cmd)
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "fmnist %s: %v\n", cmd, err)
	return 1
}

// prepareWithProgress downloads and verifies the dataset into dir. On a
// terminal it shows a progress bar and only the downloader's warnings;
// otherwise (a file, a pipe, CI) its log lines tell the progress.
func prepareWithProgress(ctx context.Context, dir, source string, stdout, stderr io.Writer) error {
	where := source
	if where == "" {
		where = "the official mirrors"
	}
	fmt.Fprintf(stdout, "Preparing Fashion-MNIST in %s from %s\n", dir, where)
	tty := isTerminal(stderr)
	level := slog.LevelInfo
	if tty {
		level = slog.LevelWarn
	}
	d := data.Downloader{Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	var bar *progressbar.ProgressBar
	if tty {
		lastFile := ""
		d.Progress = func(p fmnist.DownloadProgress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.Total,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionShowBytes(true),
					progressbar.OptionShowCount(),
					progressbar.OptionSetWidth(30),
					progressbar.OptionThrottle(100*time.Millisecond), // smooth without flooding the terminal
					progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
				)
			}
			if p.Total > 0 && bar.GetMax64() != p.Total {
				bar.ChangeMax64(p.Total)
			}
			if p.File != lastFile {
				lastFile = p.File
				bar.Describe(p.File)
			}
			_ = bar.Set64(p.Done) // a rendering error must not stop the download
		}
	}
	err := d.Prepare(ctx, dir, source)
	if bar != nil && !bar.IsFinished() {
		_ = bar.Exit() // ends the bar's line through OptionOnCompletion
	}
	return err
}

// isTerminal reports whether w is a terminal, where progress bars that
// redraw one line make sense; in files and pipes they would be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
