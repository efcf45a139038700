package store

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fmnist/trainer/fmnist"
)

// openTest opens a fresh database in a temporary directory.
// testFile is the database's name in a test's folder.
const testFile = "fmnist.db"

func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), testFile))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestOpenCreatesDataDirInWALMode(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data dir?#") // URI-special characters
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if _, err := os.Stat(filepath.Join(dir, testFile)); err != nil {
		t.Fatalf("database file not where expected: %v", err)
	}

	// Hold several connections at once so the pool must open more than one,
	// and check each got the DSN pragmas.
	const conns = 3
	for i := range conns {
		c, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		defer c.Close()
		var journal string
		var foreignKeys, synchronous, busyTimeout int
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&foreignKeys); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&synchronous); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busyTimeout); err != nil {
			t.Fatal(err)
		}
		if journal != "wal" || foreignKeys != 1 || synchronous != 1 || busyTimeout != 5000 {
			t.Errorf("conn %d: journal_mode=%s foreign_keys=%d synchronous=%d busy_timeout=%d, want wal 1 1(NORMAL) 5000",
				i, journal, foreignKeys, synchronous, busyTimeout)
		}
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, testConfig(), t0)
	if err != nil {
		t.Fatal(err)
	}
	objectsBefore := schemaObjects(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	want, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := schemaVersion(ctx, db.sql); err != nil || v != len(want) {
		t.Errorf("user_version = %d, %v; want %d", v, err, len(want))
	}
	if got := schemaObjects(t, db); got != objectsBefore {
		t.Errorf("schema changed on reopen:\n%s\nwant\n%s", got, objectsBefore)
	}
	got, err := db.Run(ctx, run.ID)
	if err != nil {
		t.Fatalf("run lost on reopen: %v", err)
	}
	if got.Config != testConfig() || !got.StartedAt.Equal(t0) {
		t.Errorf("run after reopen = %+v", got)
	}
}

// schemaObjects lists the tables and indexes, one per line.
func schemaObjects(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.sql.Query(`SELECT type || ' ' || name FROM sqlite_schema ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no tables")
	}
	return strings.Join(names, "\n")
}

func TestFailingMigrationLeavesPreviousVersion(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), testFile)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	first, err := migrationFiles.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"migrations/0001_init.sql":   {Data: first},
		"migrations/0002_broken.sql": {Data: []byte("CREATE TABLE half (x INTEGER);\nCREATE TABLE oops (;")},
	}
	err = migrate(ctx, db, fsys)
	if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Fatalf("migrate with a broken migration: err = %v, want one naming 0002_broken.sql", err)
	}
	if v, err := schemaVersion(ctx, db); err != nil || v != 1 {
		t.Errorf("user_version = %d, %v; want 1", v, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table of the failed migration exists (%d, %v); want it rolled back", n, err)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"repeat":    {"migrations/0001_a.sql": {}, "migrations/1_b.sql": {}},
		"no number": {"migrations/init.sql": {}},
		"zero":      {"migrations/0000_a.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted %v", name, fsys)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, filepath.Join(dir, testFile)); err == nil {
		db.Close()
		t.Fatal("Open accepted a database from a newer program")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the schema is newer", err)
	}
}

func TestOpenUnusableDataDir(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory under a regular file cannot exist, even for root.
	dir := filepath.Join(file, "data")
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded under a regular file")
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory", err)
	}
}

// TestOpenDataDirThatIsAFile names the file in the way once: the os
// package's error already names it.
func TestOpenDataDirThatIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), filepath.Join(file, testFile))
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded with a regular file as its directory")
	}
	if n := strings.Count(err.Error(), file); n != 1 {
		t.Errorf("error %q names %s %d times, want once", err, file, n)
	}
}

func TestOpenReadOnlyDataDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; TestOpenUnusableDataDir covers the error path")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	db, err := Open(context.Background(), filepath.Join(dir, testFile))
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded in a read-only directory")
	}
	if !strings.Contains(err.Error(), testFile) {
		t.Errorf("error %q does not name the database file", err)
	}
}

func TestOpenRejectsNonDatabaseAndLeavesItAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, testFile)
	junk := bytes.Repeat([]byte("this is not an SQLite database\n"), 200)
	if err := os.WriteFile(path, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), filepath.Join(dir, testFile))
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a file that is not a database")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, junk) {
		t.Error("Open changed the file it could not use")
	}
}

func TestUnknownRunIsNotFound(t *testing.T) {
	_, err := openTest(t).Run(context.Background(), 42)
	if fmnist.ErrorCode(err) != fmnist.ENOTFOUND || !strings.Contains(err.Error(), "42") {
		t.Errorf("Run(42) error = %v; want an ENOTFOUND error naming the id", err)
	}
}

// TestOpenCreatesAPrivateDatabase: the database and its WAL hold every run;
// only the owner may read them, whatever the umask.
func TestOpenCreatesAPrivateDatabase(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := Open(ctx, filepath.Join(dir, testFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateRun(ctx, testConfig(), t0); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"": 0o700, testFile: 0o600, testFile + "-wal": 0o600, testFile + "-shm": 0o600} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if info.Mode().Perm() != want {
			t.Errorf("%q has mode %04o, want %04o", name, info.Mode().Perm(), want)
		}
	}
}
