package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// epochBar is the terminal's progress bar of train and watch: one bar per
// epoch, redrawn as batches go by. The zero value (with w set) shows none.
type epochBar struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	epoch int
}

// show draws batch of batches in epoch, described by desc; a new epoch ends
// the previous bar and starts its own.
func (b *epochBar) show(epoch, batch, batches int, desc string) {
	if b.bar == nil || b.epoch != epoch {
		b.end()
		b.epoch = epoch
		w := b.w
		b.bar = progressbar.NewOptions(batches,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	b.bar.Describe(desc)
	_ = b.bar.Set(batch) // a rendering error must not stop the work
}

// clear wipes the bar's line so that another line can take it; the next
// show draws the bar again.
func (b *epochBar) clear() {
	if b.bar != nil && !b.bar.IsFinished() {
		_ = b.bar.Clear()
	}
}

// end ends the current bar's line, if any.
func (b *epochBar) end() {
	if b.bar != nil && !b.bar.IsFinished() {
		_ = b.bar.Exit()
	}
	b.bar = nil
}
