package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// AddLRChange records a live learning-rate change of run runID.
func (db *DB) AddLRChange(ctx context.Context, runID int64, c fmnist.LRChange) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, runID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO lr_changes (run_id, x, lr, scale) VALUES (?, ?, ?, ?)`,
			runID, c.Epoch, c.LR, c.Scale)
		return err
	})
	if err != nil {
		return fmt.Errorf("add learning-rate change to run %d: %w", runID, err)
	}
	return nil
}

// LRChanges lists run runID's live learning-rate changes, oldest first.
func (db *DB) LRChanges(ctx context.Context, runID int64) ([]fmnist.LRChange, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT x, lr, scale FROM lr_changes WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read learning-rate changes of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []fmnist.LRChange
	for rows.Next() {
		var c fmnist.LRChange
		if err := rows.Scan(&c.Epoch, &c.LR, &c.Scale); err != nil {
			return nil, fmt.Errorf("read learning-rate changes of run %d: %w", runID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read learning-rate changes of run %d: %w", runID, err)
	}
	return out, nil
}
