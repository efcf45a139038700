package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/handlers"
	"github.com/fmnist/trainer/store"
)

// serveOptions are the flags of the serve command.
type serveOptions struct {
	addr        string
	dataDir     string
	datasetURL  string
	chartPoints int
}

func parseServeFlags(args []string, stderr io.Writer) (serveOptions, error) {
	var o serveOptions
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&o.addr, "addr", envString("FMNIST_ADDR", "127.0.0.1:8080"), "listen address (env FMNIST_ADDR)")
	dataDirFlag(fs, &o.dataDir)
	datasetURLFlag(fs, &o.datasetURL)
	fs.IntVar(&o.chartPoints, "chart-points", 2000, "history length of the loss chart, in points (env FMNIST_CHART_POINTS)")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := applyEnv(fs, map[string]string{"chart-points": "FMNIST_CHART_POINTS"}); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.chartPoints < 10 || o.chartPoints > 1_000_000 {
		return o, fmt.Errorf("--chart-points must be between 10 and 1000000, got %d", o.chartPoints)
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

	db, err := store.Open(ctx, opts.dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "fmnist: data dir %s: %v\n", opts.dataDir, err)
		return exitUsage
	}
	defer db.Close()

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		fmt.Fprintf(stderr, "fmnist: cannot listen on %s: %v\n", opts.addr, unwrapAll(err))
		return exitUsage
	}

	svc, err := app.New(ctx, app.Options{
		Store:         db,
		DatasetDir:    datasetDirIn(opts.dataDir),
		CheckpointDir: checkpointDirIn(opts.dataDir),
		DatasetURL:    opts.datasetURL,
		Logger:        logger,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "fmnist: %v\n", err)
		return 1
	}
	web := handlers.New(svc, handlers.Options{Logger: logger, ChartPoints: opts.chartPoints})
	svc.SetPublisher(web)

	srv := &http.Server{
		Handler:           web,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "fmnist: serving on http://%s (data in %s)\n", ln.Addr(), opts.dataDir)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	logger.Info("shutting down")
	// Streams never end on their own, so close them first; Shutdown then waits
	// only for ordinary requests.
	web.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	svc.Close()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "fmnist: %v\n", serveErr)
		return 1
	}
	return 0
}

// unwrapAll returns the innermost error, which for a failed listen is the
// readable part ("address already in use").
func unwrapAll(err error) error {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}
