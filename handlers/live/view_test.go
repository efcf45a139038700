package live_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/handlers/live"
)

// collect connects with query and lastID and returns the events that came
// once want of them arrived (and anything right behind them).
func collect(t *testing.T, ts interface{ Client() *http.Client }, url, lastID string, want int) []ssetest.Event {
	t.Helper()
	c := ssetest.Connect(t, ts.Client(), url, lastID)
	c.WaitFor(t, url, 5*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= want })
	time.Sleep(50 * time.Millisecond)
	c.Close()
	return c.Events()
}

func datas(evs []ssetest.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Data)
	}
	return strings.Join(out, " ")
}

// TestHubFormatsShareIDs publishes events rendered twice and reads them as
// HTML and as JSON: the same ids, each viewer its own rendering, and an id
// from either format resumes the other.
func TestHubFormatsShareIDs(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	before := hub.LastID()
	hub.Publish(live.Event{Name: "status", Run: 1, HTML: []byte("<p>s1</p>"), JSON: []byte(`"s1"`)})
	hub.Publish(live.Event{Name: "log", Run: 1, HTML: []byte("<li>l1</li>"), JSON: []byte(`"l1"`)})
	hub.Send("loss", []byte(`{"loss":1}`))
	hub.Publish(live.Event{Name: "log", Run: 1, HTML: []byte("<li>l2</li>"), JSON: []byte(`"l2"`)})

	after := "?after=" + itoa(int64(before))
	html := collect(t, ts, ts.URL+after, "", 4)
	js := collect(t, ts, ts.URL+after+"&format=json", "", 4)
	if got, want := datas(html), `<p>s1</p> <li>l1</li> {"loss":1} <li>l2</li>`; got != want {
		t.Errorf("HTML stream: %q, want %q", got, want)
	}
	if got, want := datas(js), `"s1" "l1" {"loss":1} "l2"`; got != want {
		t.Errorf("JSON stream: %q, want %q", got, want)
	}
	if len(html) == len(js) {
		for i := range html {
			if html[i].ID != js[i].ID || html[i].Name != js[i].Name {
				t.Errorf("event %d: HTML %d %s, JSON %d %s: the formats must share ids", i, html[i].ID, html[i].Name, js[i].ID, js[i].Name)
			}
		}
	}
	if len(html) == 4 {
		l1 := itoa(int64(html[1].ID))
		if got := datas(collect(t, ts, ts.URL+"?format=json", l1, 2)); got != `{"loss":1} "l2"` {
			t.Errorf("JSON resumed after the HTML stream's l1: %q", got)
		}
		if got := datas(collect(t, ts, ts.URL+"?format=html&after="+itoa(int64(js[2].ID)), "", 1)); got != `<li>l2</li>` {
			t.Errorf("HTML resumed after the JSON stream's loss: %q", got)
		}
	}
	for _, q := range []string{"?format=xml", "?run=0", "?run=x", "?run=-2"} {
		if r := doWith(t, ts.Client(), mustRequest(t, ts.URL+q)); r.Status != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", q, r.Status)
		}
	}
}

// TestHubRunFilter follows one run: only its events, live and replayed,
// and its own status even after another run's.
func TestHubRunFilter(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	before := itoa(int64(hub.LastID()))
	send := func(name string, run int64, data string) {
		hub.Publish(live.Event{Name: name, Run: run, HTML: []byte(data), JSON: []byte(data)})
	}
	send("status", 1, "s1-training")
	send("log", 1, "l1")
	send("log", 0, "dataset-log")
	send("status", 1, "s1-finished")
	send("status", 2, "s2-training")
	send("log", 2, "l2")

	if got, want := datas(collect(t, ts, ts.URL+"?run=1", "", 1)), "s1-finished"; got != want {
		t.Errorf("new viewer of run 1: %q, want %q", got, want)
	}
	if got, want := datas(collect(t, ts, ts.URL+"?run=2&format=json", "", 1)), "s2-training"; got != want {
		t.Errorf("new viewer of run 2: %q, want %q", got, want)
	}
	if got, want := datas(collect(t, ts, ts.URL+"?run=1", before, 2)), "l1 s1-finished"; got != want {
		t.Errorf("viewer of run 1 resuming: %q, want %q", got, want)
	}
	if got, want := datas(collect(t, ts, ts.URL, before, 3)), "l1 dataset-log s2-training l2"; got != want {
		t.Errorf("viewer of every run resuming: %q, want %q", got, want)
	}

	c := ssetest.Connect(t, ts.Client(), ts.URL+"?run=2&after="+itoa(int64(hub.LastID())), "")
	send("log", 1, "late-l1")
	send("log", 0, "late-dataset")
	send("log", 2, "late-l2")
	c.WaitFor(t, "late-l2", 5*time.Second, func(evs []ssetest.Event) bool { return len(evs) >= 1 })
	time.Sleep(50 * time.Millisecond)
	if got := datas(c.Events()); got != "late-l2" {
		t.Errorf("live viewer of run 2 got %q, want only late-l2", got)
	}
}

// TestHubKeepsFewRunsSnapshots checks that a long-lived hub keeps the
// snapshots of its newest runs only.
func TestHubKeepsFewRunsSnapshots(t *testing.T) {
	hub, ts, _ := startHub(t, false)
	for run := int64(1); run <= 20; run++ {
		hub.Publish(live.Event{Name: "status", Run: run, HTML: []byte("s" + itoa(run)), JSON: []byte("s")})
	}
	if got := datas(collect(t, ts, ts.URL+"?run=20", "", 1)); got != "s20" {
		t.Errorf("run 20: %q", got)
	}
	c := ssetest.Connect(t, ts.Client(), ts.URL+"?run=1", "")
	time.Sleep(100 * time.Millisecond)
	if evs := c.Events(); len(evs) != 0 {
		t.Errorf("run 1's status should be forgotten 19 runs later; got %q", datas(evs))
	}
}
