package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// AddLogs stores entries in one transaction. runID 0 means they belong to no
// run (e.g. download logs); another unknown runID gives an ENOTFOUND
// error and stores nothing.
func (db *DB) AddLogs(ctx context.Context, runID int64, entries []fmnist.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	run := sql.NullInt64{Int64: runID, Valid: runID != 0}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if run.Valid {
			if err := requireRun(ctx, tx, runID); err != nil {
				return err
			}
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO logs (run_id, time, level, message) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, e := range entries {
			if _, err := stmt.ExecContext(ctx, run, millis(e.Time), string(e.Level), e.Message); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d log entries: %w", len(entries), err)
	}
	return nil
}

// RecentLogs returns the last limit log entries of all runs and of none,
// oldest first, in the order they were added; limit <= 0 means all.
func (db *DB) RecentLogs(ctx context.Context, limit int) ([]fmnist.LogEntry, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT time, level, message FROM (
			SELECT id, time, level, message FROM logs ORDER BY id DESC LIMIT ?
		) ORDER BY id`, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read recent logs: %w", err)
	}
	entries, err := scanLogs(rows)
	if err != nil {
		return nil, fmt.Errorf("read recent logs: %w", err)
	}
	return entries, nil
}

// scanLogs reads rows of (time, level, message) and closes them.
func scanLogs(rows *sql.Rows) ([]fmnist.LogEntry, error) {
	defer rows.Close()
	var entries []fmnist.LogEntry
	for rows.Next() {
		var (
			e     fmnist.LogEntry
			ms    int64
			level string
		)
		if err := rows.Scan(&ms, &level, &e.Message); err != nil {
			return nil, err
		}
		e.Time, e.Level = fromMillis(ms), fmnist.Level(level)
		entries = append(entries, e)
	}
	return entries, rows.Err()
}
