package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/guard"
	"github.com/fmnist/trainer/server"
)

// serveOptions are the flags of the serve command.
type serveOptions struct {
	addr        string
	dataDir     string
	datasetURL  string
	chartPoints int
	allowed     []string // host names besides the loopback ones
	// keepCheckpoints is --keep-checkpoints; see retention.
	keepCheckpoints int
	minFreeMB       int64
	trainNice       int
}

// defaultTrainNice is the serve command's --train-nice: low enough that a
// browser on the same two cores paints the live chart without waiting for
// the trainer, which still has every cycle nothing else asks for.
const defaultTrainNice = 10

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&o.addr, "addr", envString("FMNIST_ADDR", "127.0.0.1:8080"), "listen address (env FMNIST_ADDR)")
	dataDirFlag(fs, &o.dataDir)
	datasetURLFlag(fs, &o.datasetURL)
	fs.IntVar(&o.chartPoints, "chart-points", 2000, "history length of the loss chart, in points (env FMNIST_CHART_POINTS)")
	allowed := fs.String("allowed-hosts", envString("FMNIST_ALLOWED_HOSTS", ""),
		"comma-separated host names (name or name:port) the app answers to besides localhost; needed when --addr is not loopback (env FMNIST_ALLOWED_HOSTS)")
	keepCheckpointsFlag(fs, &o.keepCheckpoints)
	fs.Int64Var(&o.minFreeMB, "min-free-mb", server.DefaultMinFreeSpace/1_000_000,
		"free space the data dir needs for a run to start, in MB; 0 turns the check off (env FMNIST_MIN_FREE_MB)")
	fs.IntVar(&o.trainNice, "train-nice", defaultTrainNice,
		"nice value (0-19) the server trains at, so the page and the rest of the machine come first; 0 leaves the priority alone (env FMNIST_TRAIN_NICE)")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := applyEnv(fs, map[string]string{"chart-points": "FMNIST_CHART_POINTS",
		"keep-checkpoints": "FMNIST_KEEP_CHECKPOINTS", "min-free-mb": "FMNIST_MIN_FREE_MB",
		"train-nice": "FMNIST_TRAIN_NICE"}); err != nil {
		return o, err
	}
	if err := checkKeepCheckpoints(o.keepCheckpoints); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.chartPoints < 10 || o.chartPoints > 1_000_000 {
		return o, fmt.Errorf("--chart-points must be between 10 and 1000000, got %d", o.chartPoints)
	}
	if o.trainNice < 0 || o.trainNice > 19 {
		return o, fmt.Errorf("--train-nice must be between 0 and 19, got %d", o.trainNice)
	}
	if o.minFreeMB < 0 || o.minFreeMB > 1<<30 {
		return o, fmt.Errorf("--min-free-mb must be between 0 and %d, got %d", 1<<30, o.minFreeMB)
	}
	var err error
	if o.allowed, err = guard.ParseHosts(*allowed); err != nil {
		return o, fmt.Errorf("--allowed-hosts %w", err)
	}
	return o, nil
}

// runServe runs the web app until ctx is cancelled (SIGINT or SIGTERM), then
// shuts down gracefully: in-flight requests finish, event streams close, a
// running training stops with a checkpoint, and it returns 0.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseServeFlags(args, stderr)
	if err != nil {
		return flagError(stderr, "serve", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := &server.Main{
		Addr:         opts.addr,
		Layout:       fmnist.Layout{Dir: opts.dataDir},
		DatasetURL:   opts.datasetURL,
		ChartPoints:  opts.chartPoints,
		AllowedHosts: opts.allowed,
		Retention:    retention(opts.keepCheckpoints),
		Logger:       logger,
		MinFreeSpace: opts.minFreeMB * 1_000_000,
		TrainNice:    opts.trainNice,
	}
	if opts.minFreeMB == 0 {
		m.MinFreeSpace = -1 // no check
	}
	if err := m.Open(ctx); err != nil {
		fmt.Fprintf(stderr, "fmnist: %v\n", err)
		if fmnist.ErrorCode(err) == fmnist.EINVALID {
			return exitUsage
		}
		return 1
	}
	fmt.Fprintf(stdout, "fmnist: serving on %s (data in %s)\n", m.URL(), opts.dataDir)
	serveErr := m.Wait(ctx)
	logger.Info("shutting down")
	if err := m.Close(); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	if serveErr != nil {
		fmt.Fprintf(stderr, "fmnist: %v\n", serveErr)
		return 1
	}
	return 0
}
