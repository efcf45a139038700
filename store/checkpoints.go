package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// AddCheckpoint records a checkpoint of run runID, taking the run's current
// test accuracy with it. An unknown run gives an ENOTFOUND error.
func (db *DB) AddCheckpoint(ctx context.Context, runID int64, path string, epoch, batch int, createdAt time.Time) error {
	res, err := db.exec(ctx, `
		INSERT INTO checkpoints (run_id, path, epoch, batch, test_accuracy, created_at)
		SELECT id, ?, ?, ?, test_accuracy, ? FROM runs WHERE id = ?`,
		path, epoch, batch, millis(createdAt), runID)
	if err != nil {
		return fmt.Errorf("add checkpoint %q to run %d: %w", path, runID, err)
	}
	if err := requireAffected(res, runID); err != nil {
		return fmt.Errorf("add checkpoint %q: %w", path, err)
	}
	return nil
}

// DeleteCheckpoint removes checkpoint id from its run's history; the file
// is the caller's to delete. An unknown id gives an ENOTFOUND error.
func (db *DB) DeleteCheckpoint(ctx context.Context, id int64) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM checkpoints WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete checkpoint %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete checkpoint %d: count deleted rows: %w", id, err)
	}
	if n == 0 {
		return fmnist.Errorf(fmnist.ENOTFOUND, "There is no checkpoint %d.", id)
	}
	return nil
}

const checkpointColumns = `id, run_id, path, epoch, batch, test_accuracy, created_at`

// LatestCheckpoint returns the checkpoint added last, of any run; ok is false
// when there is none.
func (db *DB) LatestCheckpoint(ctx context.Context) (c fmnist.Checkpoint, ok bool, err error) {
	c, err = scanCheckpoint(db.sql.QueryRowContext(ctx,
		`SELECT `+checkpointColumns+` FROM checkpoints ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return fmnist.Checkpoint{}, false, nil
	}
	if err != nil {
		return fmnist.Checkpoint{}, false, fmt.Errorf("read latest checkpoint: %w", err)
	}
	return c, true, nil
}

// Checkpoints returns run runID's checkpoints, oldest first.
func (db *DB) Checkpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT `+checkpointColumns+` FROM checkpoints WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints of run %d: %w", runID, err)
	}
	defer rows.Close()
	var cs []fmnist.Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("read checkpoints of run %d: %w", runID, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read checkpoints of run %d: %w", runID, err)
	}
	return cs, nil
}

func scanCheckpoint(row interface{ Scan(...any) error }) (fmnist.Checkpoint, error) {
	var (
		c        fmnist.Checkpoint
		accuracy sql.NullFloat64
		created  int64
	)
	if err := row.Scan(&c.ID, &c.RunID, &c.Path, &c.Epoch, &c.Batch, &accuracy, &created); err != nil {
		return fmnist.Checkpoint{}, err
	}
	if accuracy.Valid {
		c.TestAccuracy = &accuracy.Float64
	}
	c.CreatedAt = fromMillis(created)
	return c, nil
}
