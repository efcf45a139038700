// Package store keeps runs, loss curves, epoch results, logs and checkpoints
// in an embedded SQLite database (modernc.org/sqlite, pure Go). It is the only
// package that speaks SQL.
//
// Writes are meant to come from one consumer goroutine that drains the
// trainer's events, one transaction per batch; reads may come from any number
// of goroutines at the same time (the database runs in WAL mode).
//
// Times are stored as Unix milliseconds, so they come back with millisecond
// precision in the local time zone.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/fmnist/trainer/fmnist"
)

// runNotFound is the error about a run that does not exist.
func runNotFound(id int64) error {
	return fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %d.", id)
}

// DB is the application's database. It is safe for concurrent use.
type DB struct {
	sql *sql.DB
}

// Open opens (or creates) the database file at path, creating its folder if
// needed, and brings its schema up to date. What it creates is private to
// the owner: the folder 0700, the database 0600.
func Open(ctx context.Context, path string) (*DB, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if pe, ok := err.(*fs.PathError); ok && pe.Path == dir {
			return nil, fmt.Errorf("create data directory: %w", err) // it names dir
		}
		return nil, fmt.Errorf("create data directory %q: %w", dir, err)
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("locate database %q: %w", path, err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	// sql.Open connects lazily; connect now so a bad directory or a file that
	// is not a database is reported here, not at the first query.
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	if err := migrate(ctx, sqlDB, migrationFiles); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("migrate database %q: %w", path, err)
	}
	return &DB{sql: sqlDB}, nil
}

// createPrivate creates an empty database file with mode 0600 unless one
// exists. SQLite would create it with the process umask, typically 0644,
// readable by anyone; its -wal and -shm files take the database's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// dsn builds the connection string for the absolute path. It is a file: URI
// so that any character in the path is escaped properly. The pragmas go in the DSN so that every
// connection of the pool gets them, not only the first one.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Writers take the write lock when their transaction begins. A deferred
	// transaction that upgrades from reading to writing can fail at once with
	// SQLITE_BUSY in WAL mode, without waiting for busy_timeout.
	q.Set("_txlock", "immediate")
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
}

// Close closes the database.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// inTx runs f in a transaction and commits if f returns nil.
func (db *DB) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", diskFull(err))
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback() // f's error says what went wrong
		return diskFull(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", diskFull(err))
	}
	return nil
}

// exec runs one writing statement outside a transaction.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.sql.ExecContext(ctx, query, args...)
	return res, diskFull(err)
}

// requireRun returns an ENOTFOUND error unless run id exists.
func requireRun(ctx context.Context, tx *sql.Tx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return runNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("look up run %d: %w", id, err)
	}
	return nil
}

// millis converts t for an INTEGER time column.
func millis(t time.Time) int64 { return t.UnixMilli() }

// nullMillis is millis, with NULL for the zero time.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis is the inverse of millis.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

// nullIfNaN binds NaN as NULL explicitly: SQLite stores NaN as NULL anyway,
// and this keeps the mapping visible next to nanIfNull.
func nullIfNaN(f float64) sql.NullFloat64 {
	if math.IsNaN(f) {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: f, Valid: true}
}

// nanIfNull is the inverse of nullIfNaN.
func nanIfNull(f sql.NullFloat64) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}
