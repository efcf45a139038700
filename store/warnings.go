package store

import (
	"context"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// AddWarning stores a training-health warning of run runID. An unknown run
// gives an ENOTFOUND error.
func (db *DB) AddWarning(ctx context.Context, runID int64, w fmnist.Warning) error {
	res, err := db.exec(ctx, `
		INSERT INTO warnings (run_id, kind, epoch, batch, x, message, time)
		SELECT id, ?, ?, ?, ?, ?, ? FROM runs WHERE id = ?`,
		string(w.Kind), w.Epoch, w.Batch, w.X, w.Message, millis(w.Time), runID)
	if err != nil {
		return fmt.Errorf("add a warning to run %d: %w", runID, err)
	}
	if err := requireAffected(res, runID); err != nil {
		return fmt.Errorf("add a warning: %w", err)
	}
	return nil
}

// Warnings returns run runID's warnings, oldest first; none for an unknown run.
func (db *DB) Warnings(ctx context.Context, runID int64) ([]fmnist.Warning, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT kind, epoch, batch, x, message, time FROM warnings WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read the warnings of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []fmnist.Warning
	for rows.Next() {
		var (
			w    fmnist.Warning
			kind string
			at   int64
		)
		if err := rows.Scan(&kind, &w.Epoch, &w.Batch, &w.X, &w.Message, &at); err != nil {
			return nil, fmt.Errorf("read the warnings of run %d: %w", runID, err)
		}
		w.Kind, w.Time = fmnist.WarningKind(kind), fromMillis(at)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the warnings of run %d: %w", runID, err)
	}
	return out, nil
}
