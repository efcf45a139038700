package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
)

// Every event kind's JSON payload on /events?format=json, as a script
// reads it.
type (
	statusEventJSON struct {
		Dataset *struct {
			Status string `json:"status"`
		} `json:"dataset"`
		Training *struct {
			Status   string `json:"status"`
			RunID    int64  `json:"run_id"`
			Progress *struct {
				Epochs int `json:"epochs"`
			} `json:"progress"`
		} `json:"training"`
	}
	progressEventJSON struct {
		Epoch   *int `json:"epoch"`
		Epochs  int  `json:"epochs"`
		Batches int  `json:"batches"`
	}
	logEventJSON struct {
		Time    time.Time `json:"time"`
		Level   string    `json:"level"`
		Message string    `json:"message"`
		Run     *int64    `json:"run"`
	}
	datasetEventJSON struct {
		Status string `json:"status"`
		Train  int    `json:"train_images"`
	}
	predictionsEventJSON struct {
		Checkpoint  string            `json:"checkpoint"`
		Predictions []json.RawMessage `json:"predictions"`
	}
)

// checkJSONEvent checks that e is one line of JSON of the shape its kind
// has; a training event must name one of runs.
func checkJSONEvent(t *testing.T, who string, e ssetest.Event, runs ...int64) {
	t.Helper()
	if e.DataLines != 1 || !json.Valid([]byte(e.Data)) {
		t.Errorf("%s: %s event %d is not one line of JSON: %q", who, e.Name, e.ID, e.Data)
		return
	}
	bad := func(why string) { t.Errorf("%s: %s event %d: %s: %s", who, e.Name, e.ID, why, e.Data) }
	strict := func(v any) bool {
		d := json.NewDecoder(strings.NewReader(e.Data))
		return d.Decode(v) == nil
	}
	switch e.Name {
	case "status":
		var s statusEventJSON
		if !strict(&s) || s.Dataset == nil || s.Training == nil || s.Dataset.Status == "" || s.Training.Progress == nil {
			bad("want dataset and training as /api/status has them")
		}
	case "progress":
		var p progressEventJSON
		if !strict(&p) || p.Epoch == nil {
			bad("want the progress object")
		}
	case "log":
		var l logEventJSON
		if !strict(&l) || l.Time.IsZero() || l.Level == "" || l.Message == "" || !strings.Contains(e.Data, `"run":`) {
			bad("want time, level, message and run")
		}
		if strings.HasPrefix(l.Message, "Training") && (l.Run == nil || !slices.Contains(runs, *l.Run)) {
			bad("a training log line names its run")
		}
	case "dataset":
		var d datasetEventJSON
		if !strict(&d) || d.Status == "" {
			bad("want the dataset status object")
		}
	case "predictions":
		var p *predictionsEventJSON
		if !strict(&p) || p != nil && len(p.Predictions) != 16 {
			bad("want null or 16 predictions")
		}
	case "loss":
		var p lossEventJSON
		if !strict(&p) || !slices.Contains(runs, p.Run) || p.Loss <= 0 {
			bad("want a loss point of its run")
		}
	case "epoch":
		var p epochEventJSON
		if !strict(&p) || !slices.Contains(runs, p.Run) || p.Epoch < 1 {
			bad("want an epoch result of its run")
		}
	case "confusion":
		var c struct {
			Run      int64      `json:"run"`
			Epoch    int        `json:"epoch"`
			Classes  []string   `json:"classes"`
			Matrix   [][]int    `json:"matrix"`
			Total    int        `json:"total"`
			Accuracy float64    `json:"accuracy"`
			PerClass []struct{} `json:"per_class"`
		}
		sum, diagonal := 0, 0
		if strict(&c) && len(c.Matrix) == 10 {
			for i, row := range c.Matrix {
				for j, n := range row {
					sum += n
					if i == j {
						diagonal += n
					}
				}
			}
		}
		if !slices.Contains(runs, c.Run) || c.Epoch < 1 || len(c.Classes) != 10 || len(c.PerClass) != 10 ||
			sum != c.Total || sum == 0 || float64(diagonal)/float64(sum) != c.Accuracy {
			bad("want a 10×10 matrix of its run that sums to its total, its diagonal the accuracy")
		}
	case "warning":
		var w struct {
			Run     int64  `json:"run"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
			Advice  string `json:"advice"`
		}
		if !strict(&w) || !slices.Contains(runs, w.Run) || w.Kind == "" || w.Message == "" || w.Advice == "" {
			bad("want a warning of its run with its message and advice")
		}
	case "system":
		var sys struct {
			Run          int64   `json:"run"`
			Time         string  `json:"time"`
			CPUPercent   float64 `json:"cpu_percent"`
			RSSBytes     uint64  `json:"rss_bytes"`
			Goroutines   int     `json:"goroutines"`
			ImagesPerSec float64 `json:"images_per_sec"`
			KernelPath   string  `json:"kernel_path"`
			Estimated    bool    `json:"estimated"`
		}
		if !strict(&sys) || !slices.Contains(runs, sys.Run) || sys.RSSBytes == 0 || sys.Goroutines < 1 || sys.KernelPath == "" || sys.CPUPercent < 0 {
			bad("want a system sample of its run with memory, goroutines and the kernel path")
		}
	case "logs":
		var ls []logEventJSON
		if !strict(&ls) || len(ls) == 0 {
			bad("want a list of log lines")
		}
	default:
		bad("unknown kind")
	}
}

// TestEventStreamJSON reads the stream as HTML and as JSON side by side
// through a download, a run and a second run: the same events under the
// same ids, every kind as one line of JSON, and an id of either format
// resumes the other. Viewers of one run get only its events.
func TestEventStreamJSON(t *testing.T) {
	a := startApp(t, appConfig{})
	start := itoa(int64(a.status().LastEventID))
	html := ssetest.Connect(t, a.client, a.URL("/events?after="+start), "")
	js := ssetest.Connect(t, a.client, a.URL("/events?format=json&after="+start), "")

	a.prepareDataset()
	run1 := a.startTraining(`{"epochs":1,"batch_size":32}`)
	a.waitRunEnded(run1, 60*time.Second)
	if r := a.postJSON("/api/predictions", `{}`, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /api/predictions: %d %s", r.Status, r.Body)
	}
	// Viewers of the next run, connected before it starts.
	run2 := run1 + 1
	last := itoa(int64(a.Web.Hub().LastID()))
	oneJSON := ssetest.Connect(t, a.client, a.URL("/events?format=json&run="+itoa(run2)+"&after="+last), "")
	oneHTML := ssetest.Connect(t, a.client, a.URL("/events?run="+itoa(run2)), "")
	if got := a.startTraining(`{"epochs":2,"batch_size":32}`); got != run2 {
		t.Fatalf("the second run is %d, want %d", got, run2)
	}
	a.waitRunEnded(run2, 60*time.Second)
	waitQuiet(t, a, html, js)
	ended := func(evs []ssetest.Event) bool {
		st := ssetest.Named(evs, "status")
		return len(st) > 0 && strings.Contains(st[len(st)-1].Data, "finished")
	}
	oneJSON.WaitFor(t, "run 2's end", 10*time.Second, ended)
	oneHTML.WaitFor(t, "run 2's end", 10*time.Second, ended)
	time.Sleep(100 * time.Millisecond)

	// One sequence of ids and names for both formats.
	he, je := html.Events(), js.Events()
	checkSameSequence(t, "HTML and JSON streams", he, je)
	seen := map[string]bool{}
	for _, e := range je {
		checkJSONEvent(t, "JSON stream", e, run1, run2)
		seen[e.Name] = true
	}
	for _, k := range fmnist.EventKinds {
		// logs: only after a restart, below; warning: only from an unhealthy run (TestWarningsOfADivergingRun);
		// lr: only when the rate is changed (TestLiveLRChange); system: every 2 s of training (TestSystemEvents)
		if k != fmnist.EventLogs && k != fmnist.EventWarning && k != fmnist.EventLR && k != fmnist.EventSystem && !seen[string(k)] {
			t.Errorf("the JSON stream carried no %s event", k)
		}
	}

	// Resume across formats, from an event in the middle.
	mid := he[len(he)/2]
	fromHTML := ssetest.Connect(t, a.client, a.URL("/events?format=json"), itoa(int64(mid.ID)))
	fromJSON := ssetest.Connect(t, a.client, a.URL("/events?after="+itoa(int64(mid.ID))), "")
	last2 := je[len(je)-1].ID
	upToLast := func(evs []ssetest.Event) bool { return len(evs) > 0 && evs[len(evs)-1].ID >= last2 }
	fromHTML.WaitFor(t, "the replay in JSON", 10*time.Second, upToLast)
	fromJSON.WaitFor(t, "the replay in HTML", 10*time.Second, upToLast)
	checkResumed(t, "JSON after an HTML id", mid.ID, fromHTML.Events(), je)
	checkResumed(t, "HTML after a JSON id", mid.ID, fromJSON.Events(), he)

	// One run's viewers: its events only, the same ids in both formats.
	oj, oh := oneJSON.Events(), oneHTML.Events()
	checkSameSequence(t, "run "+itoa(run2)+" in HTML and JSON", oh, oj)
	for _, e := range oj {
		checkJSONEvent(t, "run stream", e, run2)
		switch e.Name {
		case "dataset", "predictions", "logs":
			t.Errorf("run stream: a %s event is no run's: %s", e.Name, e.Data)
		case "log":
			var l logEventJSON
			_ = json.Unmarshal([]byte(e.Data), &l)
			if l.Run == nil || *l.Run != run2 {
				t.Errorf("run stream: log line of another run: %s", e.Data)
			}
		}
	}
	var want []ssetest.Event
	for _, e := range je {
		if e.ID > oj[0].ID-1 && replayable[e.Name] && !strings.Contains(e.Data, `"run":null`) {
			want = append(want, e)
		}
	}
	if got := onlyReplayable(oj); !sameEvents(got, want) {
		t.Errorf("run stream: %d loss/log/epoch events, the full stream had %d of run %d", len(got), len(want), run2)
	}
	if n, stored := len(ssetest.Named(oj, "loss")), len(a.run(run2).Points); n != stored {
		t.Errorf("run stream: %d loss points, run %d has %d", n, run2, stored)
	}

	// A viewer of the first run, now over, learns how it ended.
	first := ssetest.Connect(t, a.client, a.URL("/events?format=json&run="+itoa(run1)), "")
	evs := first.WaitFor(t, "run 1's status", 5*time.Second, ssetest.HasEvent("status"))
	if s := ssetest.Named(evs, "status"); !strings.Contains(s[0].Data, `"run_id":`+itoa(run1)) || !strings.Contains(s[0].Data, "finished") {
		t.Errorf("a new viewer of run %d got status %s", run1, s[0].Data)
	}

	// A script resuming from an id of an earlier process is caught up with
	// the panels, in JSON, the predictions made since among them.
	if r := a.postJSON("/api/predictions", `{}`, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /api/predictions: %d %s", r.Status, r.Body)
	}
	old := ssetest.Connect(t, a.client, a.URL("/events?format=json"), "5")
	evs = old.WaitFor(t, "the catch-up panels", 5*time.Second, ssetest.HasEvent("logs"))
	for _, e := range evs {
		checkJSONEvent(t, "catch-up", e, run2)
	}
	if p := ssetest.Named(evs, "predictions"); len(p) != 1 || p[0].Data == "null" {
		t.Errorf("the catch-up should carry the predictions made: %v", p)
	}
}

// checkSameSequence checks that two streams carried the same events (ids
// and names) in the same order.
func checkSameSequence(t *testing.T, what string, a, b []ssetest.Event) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d and %d events", what, len(a), len(b))
		return
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Name != b[i].Name {
			t.Errorf("%s: event %d is %d %s and %d %s", what, i, a[i].ID, a[i].Name, b[i].ID, b[i].Name)
			return
		}
	}
}

// checkResumed checks that a viewer resuming after id got every replayable
// event after it exactly once, as the full stream had them.
func checkResumed(t *testing.T, what string, after uint64, got, full []ssetest.Event) {
	t.Helper()
	for _, e := range got {
		if e.ID <= after {
			t.Errorf("%s: event %d again", what, e.ID)
		}
	}
	var want []ssetest.Event
	for _, e := range full {
		if e.ID > after {
			want = append(want, e)
		}
	}
	if !sameEvents(onlyReplayable(got), onlyReplayable(want)) {
		t.Errorf("%s: %d replayable events, the full stream had %d after %d", what,
			len(onlyReplayable(got)), len(onlyReplayable(want)), after)
	}
}

func onlyReplayable(evs []ssetest.Event) []ssetest.Event {
	return slices.DeleteFunc(slices.Clone(evs), func(e ssetest.Event) bool { return !replayable[e.Name] })
}

func sameEvents(a, b []ssetest.Event) bool {
	return slices.EqualFunc(a, b, func(x, y ssetest.Event) bool { return x.ID == y.ID && x.Name == y.Name && x.Data == y.Data })
}
