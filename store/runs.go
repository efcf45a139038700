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

// CreateRun stores a new run in status fmnist.StatusTraining.
func (db *DB) CreateRun(ctx context.Context, cfg fmnist.Config, startedAt time.Time) (fmnist.Run, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("create run: encode config: %w", err)
	}
	res, err := db.exec(ctx,
		`INSERT INTO runs (config, status, started_at) VALUES (?, ?, ?)`,
		string(cfgJSON), string(fmnist.StatusTraining), millis(startedAt))
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("create run: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("create run: read its id: %w", err)
	}
	return fmnist.Run{ID: id, Config: cfg, Status: fmnist.StatusTraining, StartedAt: fromMillis(millis(startedAt))}, nil
}

// SetRunStatus records a run's new status and the reason for it. Pass a zero
// endedAt while the run is still going (e.g. fmnist.StatusStopping).
func (db *DB) SetRunStatus(ctx context.Context, id int64, status fmnist.Status, reason string, endedAt time.Time) error {
	res, err := db.exec(ctx,
		`UPDATE runs SET status = ?, reason = ?, ended_at = ? WHERE id = ?`,
		string(status), reason, nullMillis(endedAt), id)
	if err != nil {
		return fmt.Errorf("set status of run %d: %w", id, err)
	}
	return requireAffected(res, id)
}

// MarkInterrupted ends every run still in fmnist.StatusTraining or
// fmnist.StatusStopping, which after a restart means the process died under it.
// Such runs get fmnist.StatusInterrupted, fmnist.InterruptedReason and ended_at now. It
// returns how many runs it changed. Call it at startup, before training.
func (db *DB) MarkInterrupted(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.exec(ctx,
		`UPDATE runs SET status = ?, reason = ?, ended_at = ? WHERE status IN (?, ?)`,
		string(fmnist.StatusInterrupted), fmnist.InterruptedReason, millis(now),
		string(fmnist.StatusTraining), string(fmnist.StatusStopping))
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: count them: %w", err)
	}
	return n, nil
}

// runColumns is the select list scanRun reads, from runs: the summary of
// the epochs comes from epoch_results (an index lookup per run, by its
// primary key). SQL's max and avg skip NULL, which is how a NaN is stored.
const runColumns = `id, config, status, reason, started_at, ended_at, epochs_done, test_accuracy, test_loss,
	(SELECT max(test_accuracy) FROM epoch_results e WHERE e.run_id = runs.id),
	(SELECT avg(images_per_sec) FROM epoch_results e WHERE e.run_id = runs.id),
	parent_run_id, parent_checkpoint_id, fork_epoch, fork_batch, kind`

// Run returns run id, or an ENOTFOUND error.
func (db *DB) Run(ctx context.Context, id int64) (fmnist.Run, error) {
	r, err := scanRun(db.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmnist.Run{}, runNotFound(id)
	}
	if err != nil {
		return fmnist.Run{}, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

// Runs returns up to limit runs, newest first; limit <= 0 means all.
func (db *DB) Runs(ctx context.Context, limit int) ([]fmnist.Run, error) {
	return db.ListRuns(ctx, fmnist.RunFilter{Limit: limit})
}

// ListRuns returns the runs f selects, newest first.
func (db *DB) ListRuns(ctx context.Context, f fmnist.RunFilter) ([]fmnist.Run, error) {
	query, args := `SELECT `+runColumns+` FROM runs`, []any{}
	if f.Status != "" {
		// A separate WHERE (not "? = '' OR …") lets SQLite use runs_status.
		query, args = query+` WHERE status = ?`, append(args, string(f.Status))
	}
	rows, err := db.sql.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, sqlLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var runs []fmnist.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// LatestRun returns the newest run; ok is false when there is none.
func (db *DB) LatestRun(ctx context.Context) (r fmnist.Run, ok bool, err error) {
	r, err = scanRun(db.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return fmnist.Run{}, false, nil
	}
	if err != nil {
		return fmnist.Run{}, false, fmt.Errorf("read latest run: %w", err)
	}
	return r, true, nil
}

func scanRun(row interface{ Scan(...any) error }) (fmnist.Run, error) {
	var (
		r         fmnist.Run
		cfgJSON   string
		status    string
		startedAt int64
		endedAt   sql.NullInt64
		accuracy  sql.NullFloat64
		loss      sql.NullFloat64
		best      sql.NullFloat64
		speed     sql.NullFloat64
		// A fork's link; fork_epoch is NULL for a run started afresh.
		parentRun, parentCheckpoint, forkEpoch, forkBatch sql.NullInt64
		kind                                              string
	)
	if err := row.Scan(&r.ID, &cfgJSON, &status, &r.Reason, &startedAt, &endedAt, &r.EpochsDone, &accuracy, &loss,
		&best, &speed, &parentRun, &parentCheckpoint, &forkEpoch, &forkBatch, &kind); err != nil {
		return fmnist.Run{}, err
	}
	if err := json.Unmarshal([]byte(cfgJSON), &r.Config); err != nil {
		return fmnist.Run{}, fmt.Errorf("run %d: decode config: %w", r.ID, err)
	}
	r.Status = fmnist.Status(status)
	r.Kind = fmnist.RunKind(kind)
	r.StartedAt = fromMillis(startedAt)
	if endedAt.Valid {
		r.EndedAt = fromMillis(endedAt.Int64)
	}
	if r.EpochsDone > 0 {
		acc, l := nanIfNull(accuracy), nanIfNull(loss)
		r.TestAccuracy, r.TestLoss = &acc, &l
	}
	r.BestTestAccuracy, r.ImagesPerSec = pointerIfValid(best), pointerIfValid(speed)
	if forkEpoch.Valid {
		r.Parent = &fmnist.ForkPoint{RunID: parentRun.Int64, CheckpointID: parentCheckpoint.Int64,
			Epoch: int(forkEpoch.Int64), Batch: int(forkBatch.Int64)}
	}
	return r, nil
}

// requireAffected returns an ENOTFOUND error when res changed no
// row of run id.
func requireAffected(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("run %d: count changed rows: %w", id, err)
	}
	if n == 0 {
		return runNotFound(id)
	}
	return nil
}

// sqlLimit maps "no limit" (limit <= 0) to SQLite's LIMIT -1.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// pointerIfValid returns a pointer to f's value, or nil for NULL.
func pointerIfValid(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}
