package store

import (
	"errors"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// diskFull marks the error of a write that failed because the disk is full
// (SQLITE_FULL) as syscall.ENOSPC too, so the service can tell the user to
// free space rather than report an internal error. Other errors pass as
// they are.
func diskFull(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return fullError{err}
	}
	return err
}

// fullError is an error of SQLite's that is also syscall.ENOSPC; its text
// is SQLite's.
type fullError struct{ error }

func (e fullError) Unwrap() []error { return []error{e.error, syscall.ENOSPC} }
