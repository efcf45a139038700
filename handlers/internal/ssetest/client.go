// Package ssetest is a Server-Sent Events client for tests, read the way a
// browser's EventSource reads, and raw connections that stall a server.
package ssetest

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

// Event is one dispatched Server-Sent Event, reassembled the way a
// browser's EventSource does.
type Event struct {
	ID        uint64
	HasID     bool // the event carried an id field
	Name      string
	Data      string // data lines joined with "\n"
	DataLines int    // how many data: lines it came in
}

// Client reads GET /events in the background and keeps every event.
type Client struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	events  []Event
	err     error // why reading ended
	changed chan struct{}
}

// Connect opens the stream; lastEventID (if not "") is sent as the
// Last-Event-ID header. It returns once the response headers arrived.
func Connect(t testing.TB, client *http.Client, url, lastEventID string) *Client {
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
	c := &Client{cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	go c.read(resp.Body)
	t.Cleanup(c.Close)
	return c
}

// ReadAll parses a stream that is already open, such as the body of a raw
// response, until it ends, and returns what it held.
func ReadAll(body io.ReadCloser) *Client {
	c := &Client{cancel: func() {}, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	c.read(body)
	return c
}

// read parses the stream as the EventSource spec says: fields until a
// blank line, data lines joined with "\n", comments ignored, an event
// without data not dispatched.
func (c *Client) read(body io.ReadCloser) {
	defer close(c.done)
	defer body.Close()
	r := bufio.NewReader(body)
	var ev Event
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
			ev, data = Event{}, nil
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

func (c *Client) add(ev Event) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	c.signal()
}

func (c *Client) finish(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	c.signal()
}

func (c *Client) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Events returns a copy of the events received so far.
func (c *Client) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Err is why the stream ended, or nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// WaitFor waits until done holds for the events received so far and
// returns them; it fails the test after timeout or if the stream ends.
func (c *Client) WaitFor(t testing.TB, what string, timeout time.Duration, done func([]Event) bool) []Event {
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

// Done is closed when the stream has ended, by either side.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close disconnects and waits for the reader to end.
func (c *Client) Close() {
	c.cancel()
	<-c.done
}

// Named returns the events called name, in order.
func Named(evs []Event, name string) []Event {
	var out []Event
	for _, e := range evs {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func HasEvent(name string) func([]Event) bool {
	return func(evs []Event) bool { return len(Named(evs, name)) > 0 }
}
