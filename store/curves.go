package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// AddLossPoints appends points to run runID's loss curve in one transaction.
// An unknown run gives an ENOTFOUND error and stores nothing.
func (db *DB) AddLossPoints(ctx context.Context, runID int64, points []fmnist.LossPoint) error {
	if len(points) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, runID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO loss_points (run_id, epoch, loss, lr) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range points {
			if _, err := stmt.ExecContext(ctx, runID, p.Epoch, nullIfNaN(p.Loss), nullIfZero(p.LR)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d loss points to run %d: %w", len(points), runID, err)
	}
	return nil
}

// LossPoints returns run runID's loss curve in the order it was added. A NaN
// loss comes back as NaN.
func (db *DB) LossPoints(ctx context.Context, runID int64) ([]fmnist.LossPoint, error) {
	rows, err := db.sql.QueryContext(ctx,
		`SELECT epoch, loss, coalesce(lr, 0) FROM loss_points WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("read loss points of run %d: %w", runID, err)
	}
	defer rows.Close()
	var points []fmnist.LossPoint
	for rows.Next() {
		var (
			p    fmnist.LossPoint
			loss sql.NullFloat64
		)
		if err := rows.Scan(&p.Epoch, &loss, &p.LR); err != nil {
			return nil, fmt.Errorf("read loss points of run %d: %w", runID, err)
		}
		p.Loss = nanIfNull(loss)
		points = append(points, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read loss points of run %d: %w", runID, err)
	}
	return points, nil
}

// AddEpochResult stores the evaluation of one epoch, replacing an earlier
// result for the same epoch, so that writing it again is harmless. In the
// same transaction it sets the run's EpochsDone, TestAccuracy and TestLoss
// from its highest evaluated epoch.
func (db *DB) AddEpochResult(ctx context.Context, runID int64, r fmnist.EpochResult) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, runID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO epoch_results (run_id, epoch, test_accuracy, test_loss, train_loss, images_per_sec, seconds,
				val_images, val_accuracy, val_loss)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, epoch) DO UPDATE SET
				test_accuracy = excluded.test_accuracy,
				test_loss = excluded.test_loss,
				train_loss = excluded.train_loss,
				images_per_sec = excluded.images_per_sec,
				seconds = excluded.seconds,
				val_images = excluded.val_images,
				val_accuracy = excluded.val_accuracy,
				val_loss = excluded.val_loss`,
			runID, r.Epoch, nullIfNaN(r.TestAccuracy), nullIfNaN(r.TestLoss), nullIfNaN(r.TrainLoss),
			nullIfNaN(r.ImagesPerSec), nullIfNaN(r.Seconds), r.ValImages, valOrNull(r, r.ValAccuracy), valOrNull(r, r.ValLoss))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE runs SET (epochs_done, test_accuracy, test_loss) = (
				SELECT epoch, test_accuracy, test_loss FROM epoch_results
				WHERE run_id = ? ORDER BY epoch DESC LIMIT 1)
			WHERE id = ?`, runID, runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("add result of epoch %d to run %d: %w", r.Epoch, runID, err)
	}
	return nil
}

// EpochResults returns run runID's epoch results by epoch.
func (db *DB) EpochResults(ctx context.Context, runID int64) ([]fmnist.EpochResult, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT epoch, test_accuracy, test_loss, train_loss, images_per_sec, seconds,
			val_images, coalesce(val_accuracy, 0), coalesce(val_loss, 0)
		FROM epoch_results WHERE run_id = ? ORDER BY epoch`, runID)
	if err != nil {
		return nil, fmt.Errorf("read epoch results of run %d: %w", runID, err)
	}
	defer rows.Close()
	var results []fmnist.EpochResult
	for rows.Next() {
		var (
			r                                   fmnist.EpochResult
			acc, testLoss, trainLoss, ips, secs sql.NullFloat64
		)
		if err := rows.Scan(&r.Epoch, &acc, &testLoss, &trainLoss, &ips, &secs, &r.ValImages, &r.ValAccuracy, &r.ValLoss); err != nil {
			return nil, fmt.Errorf("read epoch results of run %d: %w", runID, err)
		}
		r.TestAccuracy, r.TestLoss, r.TrainLoss = nanIfNull(acc), nanIfNull(testLoss), nanIfNull(trainLoss)
		r.ImagesPerSec, r.Seconds = nanIfNull(ips), nanIfNull(secs)
		results = append(results, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read epoch results of run %d: %w", runID, err)
	}
	return results, nil
}

// nullIfZero stores 0, which means "not known", as NULL.
func nullIfZero(v float64) any {
	if v == 0 {
		return nil
	}
	return nullIfNaN(v)
}

// valOrNull is a validation figure of r, NULL when r held no images out.
func valOrNull(r fmnist.EpochResult, v float64) any {
	if r.ValImages == 0 {
		return nil
	}
	return nullIfNaN(v)
}
