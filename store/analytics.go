package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/fmnist/trainer/fmnist"
)

// AddEpochAnalysis stores an epoch's confusion matrix and its bitset of
// right answers, replacing those of the same epoch (a resumed run evaluates
// it again). An unknown run gives an ENOTFOUND error.
func (db *DB) AddEpochAnalysis(ctx context.Context, runID int64, a fmnist.EpochAnalysis) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRun(ctx, tx, runID); err != nil {
			return err
		}
		return putAnalysis(ctx, tx, runID, a)
	})
	if err != nil {
		return fmt.Errorf("add epoch %d analysis to run %d: %w", a.Epoch, runID, err)
	}
	return nil
}

// putAnalysis writes an epoch's confusion matrix and, when a has them, its
// right answers (an imported run has only the matrix).
func putAnalysis(ctx context.Context, tx *sql.Tx, runID int64, a fmnist.EpochAnalysis) error {
	matrix, err := json.Marshal(a.Confusion)
	if err != nil {
		return fmt.Errorf("encode matrix: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO confusion_matrices (run_id, epoch, matrix) VALUES (?, ?, ?)`,
		runID, a.Epoch, string(matrix)); err != nil {
		return err
	}
	if a.Correct == nil && a.Images == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO epoch_correct (run_id, epoch, images, bits) VALUES (?, ?, ?, ?)`,
		runID, a.Epoch, a.Images, []byte(a.Correct))
	return err
}

// EpochAnalyses returns run runID's analyses, oldest epoch first; none for
// an unknown run.
func (db *DB) EpochAnalyses(ctx context.Context, runID int64) ([]fmnist.EpochAnalysis, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT m.epoch, m.matrix, coalesce(c.images, 0), c.bits
		FROM confusion_matrices m LEFT JOIN epoch_correct c ON c.run_id = m.run_id AND c.epoch = m.epoch
		WHERE m.run_id = ? ORDER BY m.epoch`, runID)
	if err != nil {
		return nil, fmt.Errorf("read the analyses of run %d: %w", runID, err)
	}
	defer rows.Close()
	var out []fmnist.EpochAnalysis
	for rows.Next() {
		var (
			a      fmnist.EpochAnalysis
			matrix string
		)
		if err := rows.Scan(&a.Epoch, &matrix, &a.Images, (*[]byte)(&a.Correct)); err != nil {
			return nil, fmt.Errorf("read the analyses of run %d: %w", runID, err)
		}
		if err := json.Unmarshal([]byte(matrix), &a.Confusion); err != nil {
			return nil, fmt.Errorf("read the analyses of run %d: epoch %d: decode matrix: %w", runID, a.Epoch, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the analyses of run %d: %w", runID, err)
	}
	return out, nil
}

// dropAnalysesAfter removes run runID's analyses of epochs after epoch: a
// resumed run evaluates them again.
func dropAnalysesAfter(ctx context.Context, tx *sql.Tx, runID int64, epoch int) error {
	for _, table := range []string{"confusion_matrices", "epoch_correct"} {
		// table is one of two constants above, never input.
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE run_id = ? AND epoch > ?`, runID, epoch); err != nil {
			return fmt.Errorf("drop the analyses after epoch %d: %w", epoch, err)
		}
	}
	return nil
}
