package handlers_test

import (
	"log/slog"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when any test leaves a goroutine behind: an
// event stream, a training run or the service's pump that outlives Close.
func TestMain(m *testing.M) {
	// Code that logs to the default logger (the dataset downloader) would
	// otherwise fill the output with progress lines.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	goleak.VerifyTestMain(m)
}
