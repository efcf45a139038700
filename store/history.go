package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// RunSummaries returns every run, newest first, with its best test accuracy
// and mean images/s over its epochs: ListRuns, which reads both with the run.
func (db *DB) RunSummaries(ctx context.Context) ([]fmnist.RunSummary, error) {
	runs, err := db.ListRuns(ctx, fmnist.RunFilter{})
	if err != nil {
		return nil, fmt.Errorf("list run summaries: %w", err)
	}
	out := make([]fmnist.RunSummary, len(runs))
	for i, r := range runs {
		out[i] = fmnist.RunSummary{Run: r, BestAccuracy: r.BestTestAccuracy}
		if r.ImagesPerSec != nil {
			out[i].ImagesPerSec = *r.ImagesPerSec
		}
	}
	return out, nil
}

// RunLogs returns a page of run runID's log, newest first, and how many
// entries of the run match q.Level in all.
func (db *DB) RunLogs(ctx context.Context, runID int64, q fmnist.LogQuery) ([]fmnist.LogEntry, int, error) {
	where, args := `run_id = ?`, []any{runID}
	if q.Level != "" {
		where, args = where+` AND level = ?`, append(args, string(q.Level))
	}
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM logs WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count logs of run %d: %w", runID, err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT time, level, message FROM logs WHERE `+where+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, sqlLimit(q.Limit), max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("read logs of run %d: %w", runID, err)
	}
	entries, err := scanLogs(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("read logs of run %d: %w", runID, err)
	}
	return entries, total, nil
}

// DeleteRun removes run id and, in the same transaction, its logs (which
// the schema would otherwise keep as logs of no run); its loss points,
// epoch results and checkpoint rows go by ON DELETE CASCADE. It returns the
// checkpoints the run had, whose files are the caller's to delete.
func (db *DB) DeleteRun(ctx context.Context, id int64) ([]fmnist.Checkpoint, error) {
	cks, err := db.Checkpoints(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("delete run %d: %w", id, err)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM logs WHERE run_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete run %d: %w", id, err)
	}
	return cks, nil
}
