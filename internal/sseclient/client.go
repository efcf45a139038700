// Package sseclient follows a Server-Sent Events stream the way a browser's
// EventSource does: it reconnects when the connection drops, however it
// drops, and resumes with Last-Event-ID, so no event is lost or repeated.
//
// r3labs/sse's Client was not used: a stream that ends cleanly (the server
// closed it, as ours does when it drops a slow viewer or shuts down) ends
// its Subscribe without reconnecting; its backoff gives up for good on the
// first drop after 15 minutes of streaming, and keeps retrying an answer
// such as 400 that no retry can mend.
package sseclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Event is one dispatched event.
type Event struct {
	ID   string
	Name string // "message" when the event named none
	Data string // data lines joined with "\n"
}

// Client follows one stream. Set its fields before Run.
type Client struct {
	URL  string
	HTTP *http.Client // nil: http.DefaultClient
	// LastEventID is sent on (re)connecting when not ""; Run keeps it at the
	// id of the last event handled.
	LastEventID string
	// MinWait and MaxWait bound the wait before reconnecting, which doubles
	// while connecting fails and starts over once a connection succeeds.
	// Zero means 500 ms and 10 s.
	MinWait, MaxWait time.Duration
	// IdleTimeout: a stream silent this long counts as dropped (the server
	// sends a comment every 15 s). Zero means 45 s.
	IdleTimeout time.Duration
	// OnDrop, if set, hears why the connection ended and how long Run waits
	// before reconnecting.
	OnDrop func(err error, wait time.Duration)
}

// ErrRefused wraps an answer that reconnecting cannot change (a 4xx).
var ErrRefused = errors.New("the server refused the stream")

// Run connects and hands every event to handle, in order, until ctx ends
// (it returns ctx's error), handle returns an error (it returns that) or
// the server refuses the stream (an ErrRefused). Every other failure is
// retried.
func (c *Client) Run(ctx context.Context, handle func(Event) error) error {
	minWait, maxWait := orDefault(c.MinWait, 500*time.Millisecond), orDefault(c.MaxWait, 10*time.Second)
	wait := minWait
	for {
		connected, err := c.stream(ctx, handle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var stop handlerError
		if errors.As(err, &stop) {
			return stop.err
		}
		if errors.Is(err, ErrRefused) {
			return err
		}
		if connected {
			wait = minWait
		}
		if c.OnDrop != nil {
			c.OnDrop(err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if !connected {
			wait = min(2*wait, maxWait)
		}
	}
}

// handlerError carries the error of the handler out of stream.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }

// stream reads one connection until it ends; connected reports whether the
// server answered with a stream.
func (c *Client) stream(ctx context.Context, handle func(Event) error) (connected bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if c.LastEventID != "" {
		req.Header.Set("Last-Event-ID", c.LastEventID)
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		err := fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return false, fmt.Errorf("%w: %v", ErrRefused, err)
		}
		return false, err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return false, fmt.Errorf("%w: the answer is %q, not text/event-stream", ErrRefused, ct)
	}

	// A silent connection (a peer gone without closing) is cut by cancelling
	// the request, which ends the read below.
	idle := orDefault(c.IdleTimeout, 45*time.Second)
	var silent atomic.Bool
	watchdog := time.AfterFunc(idle, func() { silent.Store(true); cancel() })
	defer watchdog.Stop()

	lines := bufio.NewReader(resp.Body)
	var ev Event
	var data strings.Builder
	hasData := false
	id := c.LastEventID
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			if silent.Load() {
				err = fmt.Errorf("no data for %v", idle)
			} else if err == io.EOF {
				err = errors.New("the server closed the stream")
			}
			return true, err
		}
		watchdog.Reset(idle)
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" { // dispatch
			c.LastEventID = id
			if hasData {
				ev.ID, ev.Data = id, data.String()
				if ev.Name == "" {
					ev.Name = "message"
				}
				if err := handle(ev); err != nil {
					return true, handlerError{err}
				}
			}
			ev, hasData = Event{}, false
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "": // a comment
		case "event":
			ev.Name = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				id = value
			}
		}
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
