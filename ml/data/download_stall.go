package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// errStalled is the cause of an attempt that received nothing for the
// stall timeout; the attempt returns a *stallError, which matches it.
var errStalled = errors.New("transfer stalled")

// stallError is an attempt ended by its stall watch, before the response
// headers arrived or during the body.
type stallError struct {
	answered bool // the response headers had arrived
	after    time.Duration
}

func (e *stallError) Error() string {
	if !e.answered {
		return fmt.Sprintf("no response within %v", e.after)
	}
	return fmt.Sprintf("%v: nothing received for %v", errStalled, e.after)
}

func (e *stallError) Is(target error) bool { return target == errStalled }

// stallWatch ends one attempt that receives nothing for StallTimeout:
// neither the response headers nor a byte of the body. The attempt runs
// under ctx, which the watch cancels with errStalled. Only the attempt's
// goroutine calls its methods.
type stallWatch struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	timeout time.Duration
	answer  bool // the response headers arrived
}

// watchStalls starts the watch of an attempt; stop it when the attempt ends.
func (d *Downloader) watchStalls(ctx context.Context) *stallWatch {
	w := &stallWatch{timeout: d.StallTimeout}
	if w.timeout <= 0 {
		w.timeout = 60 * time.Second
	}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	w.timer = time.AfterFunc(w.timeout, func() { w.cancel(errStalled) })
	return w
}

func (w *stallWatch) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// answered notes that the response headers arrived; the body has the whole
// timeout for its first bytes.
func (w *stallWatch) answered() {
	w.answer = true
	w.timer.Reset(w.timeout)
}

// received notes that bytes of the body arrived.
func (w *stallWatch) received() { w.timer.Reset(w.timeout) }

// reader counts every byte read from r as received.
func (w *stallWatch) reader(r io.Reader) io.Reader { return watchedReader{r, w} }

// cause returns err, or a *stallError (which counts as transient) when the
// watch ended the attempt.
func (w *stallWatch) cause(err error) error {
	if err != nil && errors.Is(context.Cause(w.ctx), errStalled) {
		return &stallError{answered: w.answer, after: w.timeout}
	}
	return err
}

type watchedReader struct {
	r io.Reader
	w *stallWatch
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.received()
	}
	return n, err
}
