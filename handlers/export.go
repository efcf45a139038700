package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
)

// CSV exports of the run history, for spreadsheets and scripts. Every file
// has a header row; numbers are written so that they read back exactly
// (shortest round-trip form; a diverged loss is NaN); an unknown value,
// like the accuracy of a run with no evaluated epoch, is an empty field.

var (
	runsCSVHeader   = []string{"id", "status", "reason", "started_at", "ended_at", "epochs", "batch_size", "lr", "seed", "train_limit", "epochs_done", "best_test_accuracy", "final_test_accuracy", "images_per_sec"}
	lossCSVHeader   = []string{"epoch", "loss"}
	epochsCSVHeader = []string{"epoch", "test_accuracy", "test_loss", "train_loss", "images_per_sec", "seconds"}
)

// exportRuns is GET /api/runs.csv: every run (or those of ?status=), one
// row each, newest first.
func (s *Server) exportRuns(c echo.Context) error {
	status, err := queryStatus(c, "status")
	if err != nil {
		return err
	}
	runs, err := s.runs.ListRuns(c.Request().Context(), fmnist.RunFilter{Status: status})
	if err != nil {
		return fmt.Errorf("export runs: %w", err)
	}
	rows := make([][]string, 0, len(runs)+1)
	rows = append(rows, runsCSVHeader)
	for _, r := range runs {
		cfg := r.Config
		rows = append(rows, []string{
			itoa64(r.ID), string(r.Status), r.Reason, csvTime(r.StartedAt), csvTime(r.EndedAt),
			strconv.Itoa(cfg.Epochs), strconv.Itoa(cfg.BatchSize), csvFloat(cfg.LR), itoa64(cfg.Seed), strconv.Itoa(cfg.TrainLimit),
			strconv.Itoa(r.EpochsDone), csvOptional(r.BestTestAccuracy), csvOptional(r.TestAccuracy), csvOptional(r.ImagesPerSec),
		})
	}
	return writeCSV(c, "runs.csv", rows)
}

// exportLoss is GET /api/runs/{id}/loss.csv: the loss curve, per batch.
func (s *Server) exportLoss(c echo.Context) error {
	id, err := s.existingRun(c)
	if err != nil {
		return err
	}
	points, err := s.runs.LossPoints(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("export the loss of run %d: %w", id, err)
	}
	rows := make([][]string, 0, len(points)+1)
	rows = append(rows, lossCSVHeader)
	for _, p := range points {
		rows = append(rows, []string{csvFloat(p.Epoch), csvFloat(p.Loss)})
	}
	return writeCSV(c, "run-"+itoa64(id)+"-loss.csv", rows)
}

// exportEpochs is GET /api/runs/{id}/epochs.csv: the result of each epoch.
func (s *Server) exportEpochs(c echo.Context) error {
	id, err := s.existingRun(c)
	if err != nil {
		return err
	}
	epochs, err := s.runs.EpochResults(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("export the epochs of run %d: %w", id, err)
	}
	rows := make([][]string, 0, len(epochs)+1)
	rows = append(rows, epochsCSVHeader)
	for _, e := range epochs {
		rows = append(rows, []string{strconv.Itoa(e.Epoch), csvFloat(e.TestAccuracy), csvFloat(e.TestLoss),
			csvFloat(e.TrainLoss), csvFloat(e.ImagesPerSec), csvFloat(e.Seconds)})
	}
	return writeCSV(c, "run-"+itoa64(id)+"-epochs.csv", rows)
}

// existingRun reads the run id in the path and checks that the run exists:
// an unknown run is a 404, not an empty file.
func (s *Server) existingRun(c echo.Context) (int64, error) {
	id, err := runID(c)
	if err != nil {
		return 0, err
	}
	if _, err := s.runs.Run(c.Request().Context(), id); err != nil {
		return 0, fmt.Errorf("read run %d: %w", id, err)
	}
	return id, nil
}

// writeCSV answers with rows as a CSV file to save as filename. The rows are
// all read before the first byte goes out, so a failure is still an error
// answer rather than a cut-off file.
func writeCSV(c echo.Context, filename string, rows [][]string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("write %s: %w", filename, err)
	}
	return nil
}

// csvFloat writes f in the shortest form that reads back as f; NaN is
// "NaN" and infinities "+Inf" and "-Inf", which strconv.ParseFloat reads.
func csvFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// csvOptional is csvFloat of *f, or empty when there is no value.
func csvOptional(f *float64) string {
	if f == nil {
		return ""
	}
	return csvFloat(*f)
}

// csvTime writes t in UTC as RFC 3339 with its milliseconds; the zero time
// (a run still going has not ended) is empty.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
