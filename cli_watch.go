package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/internal/sseclient"
)

// runWatch implements `fmnist watch`: follow a server's event stream
// (GET /events?format=json) in the terminal until the run ends. The exit
// status says how it ended: 0 finished or stopped, 1 failed or interrupted,
// 130 on Ctrl-C.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("watch", stderr)
	var addr string
	var runID int64
	fs.StringVar(&addr, "addr", envString("FMNIST_WATCH_ADDR", "http://127.0.0.1:8080"), "the server's URL (env FMNIST_WATCH_ADDR)")
	fs.Int64Var(&runID, "run", 0, "the run to follow (default: the run training now, or else the next one to start)")
	if err := parseFlags(fs, args); err != nil {
		return flagError(stderr, "watch", err)
	}
	if fs.NArg() > 0 {
		return flagError(stderr, "watch", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	base, err := serverURL(addr)
	if err != nil {
		return flagError(stderr, "watch", err)
	}
	if runID < 0 {
		return flagError(stderr, "watch", fmt.Errorf("--run must be a run id (1 or more), got %d", runID))
	}
	w := &watcher{base: base, run: runID, http: &http.Client{}, stdout: stdout, stderr: stderr, tty: isTerminal(stderr), bar: epochBar{w: stderr}}
	status, err := w.watch(ctx)
	w.endBar()
	if err != nil {
		return commandError(ctx, stderr, "watch", err)
	}
	if status == fmnist.StatusFinished || status == fmnist.StatusStopped {
		return 0
	}
	return 1
}

// serverURL reads --addr: a URL, or a host:port taken as http://host:port.
func serverURL(addr string) (string, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--addr %q: want the server's URL, e.g. http://127.0.0.1:8080", addr)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// watcher follows one run on a server's stream.
type watcher struct {
	base   string // the server's URL
	run    int64  // the run followed; 0 until known
	http   *http.Client
	stdout io.Writer // the run's log and epoch lines
	stderr io.Writer // the bar and notices
	tty    bool

	stream    *sseclient.Client
	loss      float64  // the latest batch's
	accuracy  *float64 // the latest epoch's test accuracy
	evaluated int      // the latest epoch evaluated: its bar is over
	bar       epochBar
}

// The JSON events the watcher reads (see GET /events?format=json).
type (
	watchStatus struct {
		Training struct {
			Status fmnist.Status `json:"status"`
			Reason string        `json:"reason"`
			RunID  int64         `json:"run_id"`
		} `json:"training"`
	}
	watchProgress struct {
		Epoch, Epochs, Batch, Batches int
		AvgLoss                       float64 `json:"avg_loss"`
		ImagesPerSec                  float64 `json:"images_per_sec"`
	}
	watchLog struct {
		Time    time.Time    `json:"time"`
		Level   fmnist.Level `json:"level"`
		Message string       `json:"message"`
		Run     *int64       `json:"run"`
	}
	watchLoss struct {
		Run  int64   `json:"run"`
		Loss float64 `json:"loss"`
	}
	watchEpoch struct {
		Run          int64   `json:"run"`
		Epoch        int     `json:"epoch"`
		TestAccuracy float64 `json:"test_accuracy"`
	}
	watchRun struct {
		Status       fmnist.Status `json:"status"`
		Reason       string        `json:"reason"`
		TestAccuracy *float64      `json:"test_accuracy"`
	}
)

// errRunEnded ends the stream once the run followed has ended.
type errRunEnded struct{ status watchStatus }

func (errRunEnded) Error() string { return "the run ended" }

// watch follows the stream until the run ends and returns how it ended.
func (w *watcher) watch(ctx context.Context) (fmnist.Status, error) {
	if w.run > 0 {
		var run watchRun
		if err := w.getJSON(ctx, "/api/runs/"+strconv.FormatInt(w.run, 10), &run); err != nil {
			return "", err
		}
		if run.Status.Ended() {
			w.accuracy = run.TestAccuracy
			w.ended(run.Status, run.Reason)
			return run.Status, nil
		}
	} else {
		var st watchStatus
		if err := w.getJSON(ctx, "/api/status", &st); err != nil {
			return "", err
		}
		if st.Training.Status.Active() && st.Training.RunID > 0 {
			w.run = st.Training.RunID
		}
	}
	if w.run > 0 {
		fmt.Fprintf(w.stderr, "Following run %d on %s\n", w.run, w.base)
	} else {
		fmt.Fprintf(w.stderr, "Waiting for a run to start on %s\n", w.base)
	}
	w.stream = &sseclient.Client{URL: w.eventsURL(), HTTP: w.http, OnDrop: func(err error, wait time.Duration) {
		w.endBar()
		fmt.Fprintf(w.stderr, "Lost the connection (%v); reconnecting in %v\n", err, wait)
	}}
	err := w.stream.Run(ctx, w.handle)
	var end errRunEnded
	if !errors.As(err, &end) {
		return "", err
	}
	w.ended(end.status.Training.Status, end.status.Training.Reason)
	return end.status.Training.Status, nil
}

// eventsURL is the stream of the run followed, or of everything until
// there is one.
func (w *watcher) eventsURL() string {
	u := w.base + "/events?format=json"
	if w.run > 0 {
		u += "&run=" + strconv.FormatInt(w.run, 10)
	}
	return u
}

// getJSON reads an API answer into v.
func (w *watcher) getJSON(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second) // a stream may last, an answer may not
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, e.Error.Message)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// handle shows one event; it ends the stream when the run has ended.
func (w *watcher) handle(ev sseclient.Event) error {
	data := []byte(ev.Data)
	switch fmnist.EventKind(ev.Name) {
	case fmnist.EventStatus:
		var s watchStatus
		if json.Unmarshal(data, &s) != nil {
			return nil
		}
		t := s.Training
		if w.run == 0 && t.Status.Active() && t.RunID > 0 {
			w.follow(t.RunID)
		}
		if w.run == 0 || t.RunID != w.run {
			return nil
		}
		if t.Status == fmnist.StatusStopping {
			w.endBar()
			fmt.Fprintln(w.stderr, "Stopping after the current batch…")
		}
		if t.Status.Ended() {
			return errRunEnded{s}
		}
	case fmnist.EventProgress:
		var p watchProgress
		if w.run > 0 && json.Unmarshal(data, &p) == nil && p.Batches > 0 {
			w.progress(p)
		}
	case fmnist.EventLoss:
		var l watchLoss
		if json.Unmarshal(data, &l) == nil && l.Run == w.run {
			w.loss = l.Loss
		}
	case fmnist.EventEpoch:
		var e watchEpoch
		if json.Unmarshal(data, &e) == nil && e.Run == w.run {
			// The log has a line on the epoch: the bar ends, the line says it.
			w.endBar()
			w.accuracy, w.evaluated = &e.TestAccuracy, e.Epoch
		}
	case fmnist.EventLog:
		var l watchLog
		if json.Unmarshal(data, &l) != nil {
			return nil
		}
		if l.Run != nil && w.run == 0 {
			w.follow(*l.Run) // a run's first line comes before its status
		}
		if l.Run == nil || *l.Run == w.run {
			w.clearBar()
			fmt.Fprintf(w.stdout, "%s %-5s %s\n", l.Time.Local().Format("15:04:05"), l.Level, l.Message)
		}
	}
	return nil
}

// follow makes run the one followed; from the next connection on the
// stream carries its events only.
func (w *watcher) follow(run int64) {
	w.run = run
	w.stream.URL = w.eventsURL()
	fmt.Fprintf(w.stderr, "Following run %d\n", run)
}

// ended says how the run ended.
func (w *watcher) ended(status fmnist.Status, reason string) {
	w.endBar()
	line := fmt.Sprintf("Run %d %s", w.run, strings.ToLower(status.Label()))
	if reason != "" {
		line += ": " + reason
	} else if w.accuracy != nil {
		line += fmt.Sprintf(": test accuracy %.2f%%", 100**w.accuracy)
	}
	fmt.Fprintln(w.stdout, line)
}

// progress shows a bar per epoch when stderr is a terminal.
func (w *watcher) progress(p watchProgress) {
	if !w.tty || p.Epoch <= w.evaluated {
		return
	}
	w.bar.show(p.Epoch, p.Batch, p.Batches, fmt.Sprintf("Epoch %d/%d  loss %.4f (avg %.4f)  %5.0f img/s", p.Epoch, p.Epochs, w.loss, p.AvgLoss, p.ImagesPerSec))
}

// clearBar wipes the bar's line so that a log line can take it; the next
// progress draws the bar again.
func (w *watcher) clearBar() { w.bar.clear() }

// endBar ends the current bar's line, if any.
func (w *watcher) endBar() { w.bar.end() }
