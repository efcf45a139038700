package app

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/dustin/go-humanize"

	"github.com/fmnist/trainer/fmnist"
)

// The data dir's free space: a run needs room for its points, logs and
// checkpoints, and a write that fails for want of it stops the run.

// diskFull reports whether err is a write that failed because the disk is
// full (the store marks SQLite's SQLITE_FULL so).
func diskFull(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// spaceNote says how much space the data dir has and how much it needs,
// e.g. "12 MB free in ./data, 100 MB free space needed".
func (s *Service) spaceNote() string {
	need := "more free space needed"
	if s.minFree > 0 {
		need = humanize.Bytes(uint64(s.minFree)) + " free space needed"
	}
	free, ok := freeSpace(s.dataDir)
	if !ok {
		return fmt.Sprintf("free space in %s unknown, %s", s.dataDir, need)
	}
	return fmt.Sprintf("%s free in %s, %s", humanize.Bytes(free), s.dataDir, need)
}

// failureReason is the reason a run fails with when what could not be
// saved, e.g. "disk full: could not save loss points; 0 B free in ./data,
// 100 MB free space needed".
func (s *Service) failureReason(what string, err error) string {
	if diskFull(err) {
		return "disk full: could not save " + what + "; " + s.spaceNote()
	}
	return fmt.Sprintf("could not save %s: %v", what, err)
}

// checkFreeSpace refuses a run while the data dir has less free space than
// it needs. Where the free space cannot be told, runs start unchecked.
func (s *Service) checkFreeSpace() error {
	if s.minFree <= 0 {
		return nil
	}
	free, ok := freeSpace(s.dataDir)
	if !ok || free >= uint64(s.minFree) {
		return nil
	}
	return fmnist.Errorf(fmnist.ESTORAGE, "Not enough free disk space to start a run: %s free in %s, %s needed. Free up space and try again.",
		humanize.Bytes(free), s.dataDir, humanize.Bytes(uint64(s.minFree)))
}

// warnLowSpace logs, at start, what checkFreeSpace will refuse.
func (s *Service) warnLowSpace() {
	if s.minFree <= 0 {
		return
	}
	free, ok := freeSpace(s.dataDir)
	switch {
	case !ok:
		s.log.Info("the free space of the data dir cannot be told; runs start without checking it", "dir", s.dataDir)
	case free < uint64(s.minFree):
		s.log.Warn("low free space in the data dir: runs will not start until space is freed",
			"dir", s.dataDir, "free", humanize.Bytes(free), "needed", humanize.Bytes(uint64(s.minFree)))
	}
}
