package handlers_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseEvent is one dispatched Server-Sent Event, reassembled the way a
// browser's EventSource does.
type sseEvent struct {
	ID        uint64
	HasID     bool // the event carried an id field
	Name      string
	Data      string // data lines joined with "\n"
	DataLines int    // how many data: lines it came in
}

// sseClient reads GET /events in the background and keeps every event.
type sseClient struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	events  []sseEvent
	err     error // why reading ended
	changed chan struct{}
}

// connectSSE opens the stream; lastEventID (if not "") is sent as the
// Last-Event-ID header. It returns once the response headers arrived.
func connectSSE(t testing.TB, client *http.Client, url, lastEventID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s: status %d, content type %q: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	c := &sseClient{cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	go c.read(resp.Body)
	t.Cleanup(c.Close)
	return c
}

// read parses the stream as the EventSource spec says: fields until a
// blank line, data lines joined with "\n", comments ignored, an event
// without data not dispatched.
func (c *sseClient) read(body io.ReadCloser) {
	defer close(c.done)
	defer body.Close()
	r := bufio.NewReader(body)
	var ev sseEvent
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			c.finish(err)
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if len(data) > 0 {
				ev.Data, ev.DataLines = strings.Join(data, "\n"), len(data)
				c.add(ev)
			}
			ev, data = sseEvent{}, nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id, perr := strconv.ParseUint(value, 10, 64)
			if perr != nil {
				c.finish(errors.New("event id " + strconv.Quote(value) + " is not a number"))
				return
			}
			ev.ID, ev.HasID = id, true
		case "event":
			ev.Name = value
		case "data":
			data = append(data, value)
		}
	}
}

func (c *sseClient) add(ev sseEvent) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	c.signal()
}

func (c *sseClient) finish(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	c.signal()
}

func (c *sseClient) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Events returns a copy of the events received so far.
func (c *sseClient) Events() []sseEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sseEvent(nil), c.events...)
}

// Err is why the stream ended, or nil while it is open.
func (c *sseClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// WaitFor waits until done holds for the events received so far and
// returns them; it fails the test after timeout or if the stream ends.
func (c *sseClient) WaitFor(t testing.TB, what string, timeout time.Duration, done func([]sseEvent) bool) []sseEvent {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		evs := c.Events()
		if done(evs) {
			return evs
		}
		if err := c.Err(); err != nil {
			t.Fatalf("waiting for %s: the stream ended: %v (after %d events)", what, err, len(evs))
		}
		select {
		case <-c.changed:
		case <-timer.C:
			t.Fatalf("waited %v for %s; got %d events", timeout, what, len(evs))
		}
	}
}

// Close disconnects and waits for the reader to end.
func (c *sseClient) Close() {
	c.cancel()
	<-c.done
}

// named returns the events called name, in order.
func named(evs []sseEvent, name string) []sseEvent {
	var out []sseEvent
	for _, e := range evs {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func hasEvent(name string) func([]sseEvent) bool {
	return func(evs []sseEvent) bool { return len(named(evs, name)) > 0 }
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
