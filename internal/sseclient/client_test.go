package sseclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fmnist/trainer/internal/sseclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunResumes serves five events, two per connection, ending each
// connection cleanly or by a silence: the client reconnects with the id of
// the last event each time and gets every event once.
func TestRunResumes(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	conn := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		conn++
		n := conn
		mu.Unlock()
		from := 1
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			from, _ = strconv.Atoi(id)
			from++
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, ": hello\n\n")
		for i := from; i < from+2 && i <= 5; i++ {
			fmt.Fprintf(w, "id: %d\nevent: n\ndata: line %d\ndata: more\r\n\n", i, i)
		}
		w.(http.Flusher).Flush()
		if n == 2 { // then fall silent: the idle timeout cuts it
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}))
	defer ts.Close()

	c := &sseclient.Client{URL: ts.URL, MinWait: 10 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}
	var drops []string
	c.OnDrop = func(err error, _ time.Duration) { drops = append(drops, err.Error()) }
	var got []string
	stop := errors.New("stop")
	err := c.Run(context.Background(), func(e sseclient.Event) error {
		if e.Name != "n" || e.Data != "line "+e.ID+"\nmore" {
			t.Errorf("event %+v", e)
		}
		got = append(got, e.ID)
		if e.ID == "5" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	if fmt.Sprint(got) != "[1 2 3 4 5]" {
		t.Errorf("events %v, want 1 to 5 once each", got)
	}
	if fmt.Sprint(lastIDs) != "[ 2 4]" {
		t.Errorf("Last-Event-ID sent: %q, want none, 2, 4", lastIDs)
	}
	if len(drops) != 2 || drops[0] != "the server closed the stream" || drops[1] != "no data for 200ms" {
		t.Errorf("drops %q", drops)
	}
	if c.LastEventID != "5" {
		t.Errorf("LastEventID %q", c.LastEventID)
	}
}

func TestRunStopsOnRefusalAndCancel(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "" {
			http.Error(w, "run must be a run id", http.StatusBadRequest)
			return
		}
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	c := &sseclient.Client{URL: ts.URL + "?bad=1"}
	if err := c.Run(context.Background(), nil); !errors.Is(err, sseclient.ErrRefused) {
		t.Errorf("a 400: Run = %v, want ErrRefused", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c = &sseclient.Client{URL: ts.URL, MinWait: 10 * time.Millisecond}
	tries := 0
	c.OnDrop = func(error, time.Duration) { tries++ }
	if err := c.Run(ctx, nil); !errors.Is(err, context.DeadlineExceeded) || tries < 2 {
		t.Errorf("a 503: Run = %v after %d tries; want retries until the context ends", err, tries)
	}
}
