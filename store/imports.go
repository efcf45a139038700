package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// ImportRun stores an imported run with its curve, epoch results, last
// confusion matrix, log note and one checkpoint, all in one transaction. place is called inside it with the
// new run's id and puts the checkpoint file where it returns; if place or
// any write fails, nothing is stored (place must then leave no file).
func (db *DB) ImportRun(ctx context.Context, imp fmnist.ImportedRun, place func(runID int64) (string, error)) (fmnist.Run, error) {
	cfgJSON, err := json.Marshal(imp.Config)
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("import run: encode config: %w", err)
	}
	originJSON, err := json.Marshal(imp.Origin)
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("import run: encode origin: %w", err)
	}
	var id int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (config, status, reason, started_at, ended_at, kind, origin) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			string(cfgJSON), string(imp.Status), imp.Reason, millis(imp.StartedAt), nullMillis(imp.EndedAt), string(fmnist.KindImported), string(originJSON))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		points, err := tx.PrepareContext(ctx, `INSERT INTO loss_points (run_id, epoch, loss, lr) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer points.Close()
		for _, p := range imp.Loss {
			if _, err := points.ExecContext(ctx, id, p.Epoch, nullIfNaN(p.Loss), nullIfZero(p.LR)); err != nil {
				return err
			}
		}
		for _, r := range imp.Epochs {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO epoch_results (run_id, epoch, test_accuracy, test_loss, train_loss, images_per_sec, seconds,
					val_images, val_accuracy, val_loss)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, r.Epoch, nullIfNaN(r.TestAccuracy), nullIfNaN(r.TestLoss),
				nullIfNaN(r.TrainLoss), nullIfNaN(r.ImagesPerSec), nullIfNaN(r.Seconds),
				r.ValImages, valOrNull(r, r.ValAccuracy), valOrNull(r, r.ValLoss)); err != nil {
				return err
			}
		}
		if len(imp.Epochs) > 0 {
			last := imp.Epochs[len(imp.Epochs)-1]
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET epochs_done = ?, test_accuracy = ?, test_loss = ? WHERE id = ?`,
				last.Epoch, nullIfNaN(last.TestAccuracy), nullIfNaN(last.TestLoss), id); err != nil {
				return err
			}
		}
		if imp.Analysis != nil {
			if err := putAnalysis(ctx, tx, id, *imp.Analysis); err != nil {
				return fmt.Errorf("epoch %d analysis: %w", imp.Analysis.Epoch, err)
			}
		}
		if imp.Note.Message != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO logs (run_id, time, level, message) VALUES (?, ?, ?, ?)`,
				id, millis(imp.Note.Time), string(imp.Note.Level), imp.Note.Message); err != nil {
				return err
			}
		}
		path, err := place(id)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO checkpoints (run_id, path, epoch, batch, test_accuracy, created_at)
			SELECT id, ?, ?, ?, test_accuracy, ? FROM runs WHERE id = ?`,
			path, imp.CheckpointEpoch, imp.CheckpointBatch, millis(imp.CheckpointAt), id)
		return err
	})
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("import run: %w", err)
	}
	return db.Run(ctx, id)
}

// RunOrigin returns where an imported run was made; ok is false for a run
// trained here. An unknown run gives an ENOTFOUND error.
func (db *DB) RunOrigin(ctx context.Context, id int64) (o fmnist.RunOrigin, ok bool, err error) {
	var origin sql.NullString
	err = db.sql.QueryRowContext(ctx, `SELECT origin FROM runs WHERE id = ?`, id).Scan(&origin)
	if errors.Is(err, sql.ErrNoRows) {
		return fmnist.RunOrigin{}, false, runNotFound(id)
	}
	if err != nil {
		return fmnist.RunOrigin{}, false, fmt.Errorf("read the origin of run %d: %w", id, err)
	}
	if !origin.Valid {
		return fmnist.RunOrigin{}, false, nil
	}
	if err := json.Unmarshal([]byte(origin.String), &o); err != nil {
		return fmnist.RunOrigin{}, false, fmt.Errorf("decode the origin of run %d: %w", id, err)
	}
	return o, true, nil
}
