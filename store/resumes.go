package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// ForkRun stores a new run in status fmnist.StatusTraining, like CreateRun,
// with a link to the run and checkpoint it forked from. An unknown parent
// run or checkpoint gives an ENOTFOUND error.
func (db *DB) ForkRun(ctx context.Context, cfg fmnist.Config, startedAt time.Time, parent fmnist.ForkPoint) (fmnist.Run, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("fork run %d: encode config: %w", parent.RunID, err)
	}
	var id int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, parent.RunID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM checkpoints WHERE id = ? AND run_id = ?`,
			parent.CheckpointID, parent.RunID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmnist.Errorf(fmnist.ENOTFOUND, "Run %d has no checkpoint %d.", parent.RunID, parent.CheckpointID)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO runs (config, status, started_at, parent_run_id, parent_checkpoint_id, fork_epoch, fork_batch)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			string(cfgJSON), string(fmnist.StatusTraining), millis(startedAt),
			parent.RunID, parent.CheckpointID, parent.Epoch, parent.Batch)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("fork run %d: %w", parent.RunID, err)
	}
	p := parent
	return fmnist.Run{ID: id, Config: cfg, Status: fmnist.StatusTraining, StartedAt: fromMillis(millis(startedAt)), Parent: &p}, nil
}

// ResumeRun puts run r.RunID back to training with cfg, no reason and no end,
// drops what it reported beyond the checkpoint it continues from (loss
// points after r.X, epoch results after the checkpoint's last whole epoch),
// and records the resume, all in one transaction. An unknown run gives an
// ENOTFOUND error.
func (db *DB) ResumeRun(ctx context.Context, r fmnist.Resume, cfg fmnist.Config) error {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("resume run %d: encode config: %w", r.RunID, err)
	}
	epochsDone := r.Epoch
	if r.Batch > 0 {
		epochsDone = r.Epoch - 1
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, r.RunID); err != nil {
			return err
		}
		// An interrupted run reported points past its last checkpoint; the
		// resumed run reports them again. The trainer computes X as it
		// computes a point's epoch, so the point at X itself stays.
		if _, err := tx.ExecContext(ctx, `DELETE FROM loss_points WHERE run_id = ? AND epoch > ?`, r.RunID, r.X); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM epoch_results WHERE run_id = ? AND epoch > ?`, r.RunID, epochsDone); err != nil {
			return err
		}
		if err := dropAnalysesAfter(ctx, tx, r.RunID, epochsDone); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE runs SET status = ?2, config = ?3, reason = '', ended_at = NULL,
				epochs_done = coalesce((SELECT max(epoch) FROM epoch_results WHERE run_id = ?1), 0),
				test_accuracy = (SELECT test_accuracy FROM epoch_results WHERE run_id = ?1 ORDER BY epoch DESC LIMIT 1),
				test_loss = (SELECT test_loss FROM epoch_results WHERE run_id = ?1 ORDER BY epoch DESC LIMIT 1)
			WHERE id = ?1`, r.RunID, string(fmnist.StatusTraining), string(cfgJSON))
		if err != nil {
			return err
		}
		var checkpoint sql.NullInt64
		if r.CheckpointID > 0 {
			checkpoint = sql.NullInt64{Int64: r.CheckpointID, Valid: true}
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO resumes (run_id, checkpoint_id, epoch, batch, x, resumed_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.RunID, checkpoint, r.Epoch, r.Batch, r.X, millis(r.ResumedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("resume run %d: %w", r.RunID, err)
	}
	return nil
}

// Resumes returns where run runID was resumed, oldest first.
func (db *DB) Resumes(ctx context.Context, runID int64) ([]fmnist.Resume, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT id, run_id, checkpoint_id, epoch, batch, x, resumed_at FROM resumes WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read resumes of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []fmnist.Resume
	for rows.Next() {
		var (
			r          fmnist.Resume
			checkpoint sql.NullInt64
			at         int64
		)
		if err := rows.Scan(&r.ID, &r.RunID, &checkpoint, &r.Epoch, &r.Batch, &r.X, &at); err != nil {
			return nil, fmt.Errorf("read resumes of run %d: %w", runID, err)
		}
		r.CheckpointID, r.ResumedAt = checkpoint.Int64, fromMillis(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read resumes of run %d: %w", runID, err)
	}
	return out, nil
}
