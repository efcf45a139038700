package views

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/public"
)

const testToken = "tok-123"

func samplePage() PageView {
	p := PageView{
		CSRF:        testToken,
		LastEventID: 42,
		Dataset:     DatasetView{State: DatasetReady, TrainCount: 60000, TestCount: 10000},
		Status:      StatusView{State: "training", Message: "epoch 2 of 3"},
		Controls:    ControlsView{Values: NewFormValues(fmnist.Config{Epochs: 3, BatchSize: 64, LR: 1e-3}), Buttons: ButtonsView{CanStop: true}},
		Progress:    ProgressView{Epoch: 2, Epochs: 3, Batch: 10, Batches: 938, Loss: 0.5, AvgLoss: 0.6, Percent: 1.1, ImagesPerSec: 1500, Status: "training"},
		Chart:       ChartView{Run: 7, MaxPoints: 100, Points: []LossPoint{{Epoch: 0.1, Loss: 2.2}, {Epoch: 0.2, Loss: 1.9}}},
		Logs:        []LogView{{Time: time.Date(2025, 1, 2, 13, 4, 5, 0, time.UTC), Level: "info", Message: "started"}},
		Predictions: PredictionsView{HasModel: true, HasAccuracy: true, Accuracy: 0.9, Items: []PredictionView{{Index: 3, Predicted: "Bag", Actual: "Bag", Probability: 0.8}}},
	}
	return p
}

func TestPageHasEverySwapTargetOnce(t *testing.T) {
	d := render(t, Page(samplePage()))
	for _, id := range []string{"dataset-panel", "training-controls", "control-buttons", "status-line", "progress-panel", "loss-chart", "loss-feed", "log-panel", "log-list", "predictions-panel", "training-form", "stop-form"} {
		d.byID(id)
	}
}

func TestPageSubscribesToEventsAfterTheLastOneShown(t *testing.T) {
	d := render(t, Page(samplePage()))
	live := d.all(func(n *html.Node) bool { return hasAttr(n, "sse-connect") })
	if len(live) != 1 {
		t.Fatalf("want one sse-connect element, got %d", len(live))
	}
	if got := attrOr(live[0], "sse-connect"); got != "/events?after=42" {
		t.Errorf("sse-connect = %q, want /events?after=42", got)
	}
	if got := attrOr(live[0], "hx-ext"); got != "sse" {
		t.Errorf("hx-ext = %q, want sse", got)
	}
	// Every element that listens to an event must sit inside the connection.
	for _, n := range d.all(func(n *html.Node) bool { return hasAttr(n, "sse-swap") }) {
		inside := false
		for p := n.Parent; p != nil; p = p.Parent {
			if p == live[0] {
				inside = true
			}
		}
		if !inside {
			t.Errorf("element #%s with sse-swap is outside the SSE connection", attrOr(n, "id"))
		}
	}
}

// An element that an event replaces (outerHTML) swaps with no settle delay:
// htmx listens on the new element only once it settles, and an event that
// came in between would be lost (see the browser test).
const replaceNow = "outerHTML settle:0ms"

func TestSSEEventsSwapTheirPanels(t *testing.T) {
	d := render(t, Page(samplePage()))
	for _, tc := range []struct{ id, event, swap string }{
		{"dataset-panel", string(fmnist.EventDataset), replaceNow},
		{"status-line", string(fmnist.EventStatus), replaceNow},
		{"progress-panel", string(fmnist.EventProgress), replaceNow},
		{"log-list", string(fmnist.EventLog), "beforeend"},
		{"log-feed", string(fmnist.EventLogs), "innerHTML"},
		{"predictions-panel", string(fmnist.EventPredictions), replaceNow},
		{"loss-feed", string(fmnist.EventLoss), ""}, // app.js cancels the swap
	} {
		n := d.byID(tc.id)
		if got := attrOr(n, "sse-swap"); got != tc.event {
			t.Errorf("#%s sse-swap = %q, want %q", tc.id, got, tc.event)
		}
		if got := attrOr(n, "hx-swap"); got != tc.swap {
			t.Errorf("#%s hx-swap = %q, want %q", tc.id, got, tc.swap)
		}
	}
	if got := attrOr(d.byID("log-feed"), "hx-target"); got != "#log-list" {
		t.Errorf("#log-feed hx-target = %q, want #log-list", got)
	}
	if !hasAttr(d.byID("log-feed"), "hidden") {
		t.Error("#log-feed should be hidden")
	}
	if !hasAttr(d.byID("loss-feed"), "hidden") {
		t.Error("#loss-feed should be hidden")
	}
}

// The server sends Content-Security-Policy script-src 'self' and style-src
// 'self': anything inline would be blocked by the browser.
func TestPageNeedsNoInlineScriptOrStyle(t *testing.T) {
	pages := map[string]doc{
		"page":  render(t, Page(samplePage())),
		"idle":  render(t, Page(PageView{})),
		"error": render(t, ErrorPage(500, "boom")),
	}
	for name, d := range pages {
		var srcs []string
		for _, s := range d.tag("script") {
			src, ok := attr(s, "src")
			if !ok || text(s) != "" {
				t.Errorf("%s: inline script %q", name, text(s))
			}
			if !strings.HasPrefix(src, "/public/") {
				t.Errorf("%s: script from %q, want same-origin /public/", name, src)
			}
			srcs = append(srcs, src)
		}
		want := strings.Join([]string{public.URL("htmx.min.js"), public.URL("sse.js"), public.URL("echarts.min.js"),
			public.URL("chart-controls.js"), public.URL("app.js"), public.URL("analytics.js")}, " ")
		if got := strings.Join(srcs, " "); got != want {
			t.Errorf("%s: scripts %q, want %q (in that order)", name, got, want)
		}
		if n := len(d.tag("style")); n > 0 {
			t.Errorf("%s: %d <style> elements", name, n)
		}
		for _, n := range d.all(func(*html.Node) bool { return true }) {
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
					t.Errorf("%s: <%s %s=%q> is inline style or script", name, n.Data, a.Key, a.Val)
				}
			}
		}
		var cfg map[string]any
		meta := d.all(func(n *html.Node) bool { return n.Data == "meta" && attrOr(n, "name") == "htmx-config" })
		if len(meta) != 1 {
			t.Fatalf("%s: want one htmx-config meta", name)
		}
		if err := json.Unmarshal([]byte(attrOr(meta[0], "content")), &cfg); err != nil {
			t.Fatalf("%s: htmx-config is not JSON: %v", name, err)
		}
		if cfg["includeIndicatorStyles"] != false {
			t.Errorf("%s: htmx would inject indicator styles: %v", name, cfg)
		}
	}
}

// With JavaScript off the forms post to the real routes; with it on htmx
// posts to the same routes.
func TestFormsWorkWithAndWithoutJavaScript(t *testing.T) {
	d := render(t, Page(samplePage()))
	forms := d.tag("form")
	wantActions := map[string]bool{"/dataset": false, "/dataset/cancel": false, "/training": false, "/training/stop": false, "/training/resume": false, "/predictions": false, LRChangePath: false}
	p := samplePage()
	for _, st := range []DatasetState{DatasetIdle, DatasetDownloading} { // the ready panel has no form
		p.Dataset.State = st
		forms = append(forms, render(t, Page(p)).tag("form")...)
	}
	for _, f := range forms {
		action := attrOr(f, "action")
		if attrOr(f, "method") != "post" {
			t.Errorf("form %s: method %q, want post", action, attrOr(f, "method"))
		}
		if hx := attrOr(f, "hx-post"); hx != action {
			t.Errorf("form %s: hx-post %q, want the same route", action, hx)
		}
		// The handler of each route answers htmx with this panel.
		wantTarget := map[string]string{"/dataset": "#dataset-panel", "/dataset/cancel": "#dataset-panel", "/training": "#training-controls",
			"/training/stop": "#training-controls", "/training/resume": "#training-controls", "/predictions": "#predictions-panel", LRChangePath: "#lr-status"}[action]
		if target := attrOr(f, "hx-target"); target != wantTarget || !d.hasID(target[1:]) {
			t.Errorf("form %s: hx-target %q, want %q on the page", action, target, wantTarget)
		}
		wantSwap := "outerHTML"
		if hasAttr(d.byID(wantTarget[1:]), "sse-swap") {
			wantSwap = replaceNow // the panel an event replaces too
		}
		if got := attrOr(f, "hx-swap"); got != wantSwap {
			t.Errorf("form %s: hx-swap %q, want %q", action, got, wantSwap)
		}
		tokens := within(f, func(n *html.Node) bool { return n.Data == "input" && attrOr(n, "name") == "_csrf" })
		if len(tokens) != 1 || attrOr(tokens[0], "value") != testToken || attrOr(tokens[0], "type") != "hidden" {
			t.Errorf("form %s: want one hidden _csrf input with the token", action)
		}
		if _, ok := wantActions[action]; ok {
			wantActions[action] = true
		} else {
			t.Errorf("unexpected form action %q", action)
		}
	}
	for action, seen := range wantActions {
		if !seen {
			t.Errorf("no form posts to %s", action)
		}
	}

	// Every submit button must submit some form on the page.
	for _, b := range d.tag("button") {
		if attrOr(b, "type") != "submit" {
			continue
		}
		if f, ok := attr(b, "form"); ok {
			d.byID(f)
			continue
		}
		inForm := false
		for p := b.Parent; p != nil; p = p.Parent {
			inForm = inForm || p.Data == "form"
		}
		if !inForm {
			t.Errorf("button %q submits no form", text(b))
		}
	}

	body := d.tag("body")[0]
	var headers map[string]string
	if err := json.Unmarshal([]byte(attrOr(body, "hx-headers")), &headers); err != nil || headers["X-CSRF-Token"] != testToken {
		t.Errorf("body hx-headers = %q, want the X-CSRF-Token (err %v)", attrOr(body, "hx-headers"), err)
	}
	meta := d.all(func(n *html.Node) bool { return n.Data == "meta" && attrOr(n, "name") == "csrf-token" })
	if len(meta) != 1 || attrOr(meta[0], "content") != testToken {
		t.Error("want <meta name=csrf-token> with the token")
	}
}

// Fragments broadcast over SSE go to every viewer, so they carry no token:
// htmx sends each viewer's own from the body's hx-headers.
func TestBroadcastFragmentsCarryNoToken(t *testing.T) {
	for name, d := range map[string]doc{
		"dataset":     render(t, DatasetPanel(DatasetView{State: DatasetFailed, Error: "x"}, "")),
		"downloading": render(t, DatasetPanel(DatasetView{State: DatasetDownloading}, "")),
		"predictions": render(t, PredictionsPanel(PredictionsView{HasModel: true}, "")),
	} {
		if n := len(d.all(func(n *html.Node) bool { return attrOr(n, "name") == "_csrf" })); n != 0 {
			t.Errorf("%s: %d _csrf inputs in a broadcast fragment", name, n)
		}
	}
}

func TestAutoRefreshOnlyWhenSomethingRuns(t *testing.T) {
	refreshes := func(p PageView) int {
		d := render(t, Page(p))
		n := 0
		for _, ns := range d.tag("noscript") {
			// html.Parse keeps <noscript> in <head> as raw text.
			if strings.Contains(text(ns), `http-equiv="refresh"`) {
				n++
			}
		}
		return n
	}
	p := samplePage()
	p.AutoRefresh = true
	if got := refreshes(p); got != 1 {
		t.Errorf("AutoRefresh: %d refresh metas, want 1", got)
	}
	p.AutoRefresh = false
	if got := refreshes(p); got != 0 {
		t.Errorf("no AutoRefresh: %d refresh metas, want 0", got)
	}
}

func TestDatasetPanelStates(t *testing.T) {
	for _, tc := range []struct {
		name       string
		view       DatasetView
		wantText   []string
		wantButton string // "" for no button
		enabled    bool
		progress   string // value of <progress>, "-" for indeterminate, "" for none
	}{
		{"zero value is idle", DatasetView{}, []string{"60,000 training"}, "Download & Prepare Dataset", true, ""},
		{"idle after a cancel", DatasetView{State: DatasetIdle, Notice: "The download was cancelled."},
			[]string{"60,000 training", "The download was cancelled."}, "Download & Prepare Dataset", true, ""},
		{"downloading", DatasetView{State: DatasetDownloading, File: "train-images-idx3-ubyte.gz", Done: 15_000_000, Total: 30_000_000},
			[]string{"train-images-idx3-ubyte.gz", "50%", "15 MB of 30 MB"}, "Downloading…", false, "50.0"},
		{"downloading, size unknown", DatasetView{State: DatasetDownloading, File: "a.gz", Done: 2_000_000, Total: -1},
			[]string{"a.gz", "2.0 MB downloaded"}, "Downloading…", false, "-"},
		{"downloading, retrying", DatasetView{State: DatasetDownloading, Total: -1, Retry: "No answer from example.org (try 1 of 5), retrying in 1 s"},
			[]string{"0 B downloaded", "No answer from example.org (try 1 of 5), retrying in 1 s"}, "Downloading…", false, "-"},
		{"ready", DatasetView{State: DatasetReady, TrainCount: 60000, TestCount: 10000}, []string{"Dataset ready (60,000 / 10,000)", "60,000", "10,000", "Ready for training"}, "", false, ""},
		{"failed", DatasetView{State: DatasetFailed, Error: "checksum mismatch"}, []string{"The download failed.", "checksum mismatch"}, "Retry", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := render(t, DatasetPanel(tc.view, testToken))
			panel := d.byID("dataset-panel")
			got := text(panel)
			for _, w := range tc.wantText {
				if !strings.Contains(got, w) {
					t.Errorf("panel text %q lacks %q", got, w)
				}
			}
			buttons := d.tag("button")
			if tc.view.State == DatasetDownloading {
				// The last button cancels, and works without JavaScript.
				cancel := buttons[len(buttons)-1]
				form := cancel.Parent
				if text(cancel) != "Cancel" || hasAttr(cancel, "disabled") || attrOr(cancel, "type") != "submit" ||
					form.Data != "form" || attrOr(form, "action") != "/dataset/cancel" || attrOr(form, "method") != "post" {
					t.Errorf("want an enabled Cancel button posting to /dataset/cancel, got %q in %s", text(cancel), d.raw)
				}
				buttons = buttons[:len(buttons)-1]
			}
			switch {
			case tc.wantButton == "" && len(buttons) != 0:
				t.Errorf("want no button, got %q", text(buttons[0]))
			case tc.wantButton != "" && len(buttons) != 1:
				t.Fatalf("want button %q, got %d buttons", tc.wantButton, len(buttons))
			case tc.wantButton != "":
				if text(buttons[0]) != tc.wantButton || hasAttr(buttons[0], "disabled") == tc.enabled {
					t.Errorf("button %q disabled=%v, want %q enabled=%v", text(buttons[0]), hasAttr(buttons[0], "disabled"), tc.wantButton, tc.enabled)
				}
			}
			bars := d.tag("progress")
			switch tc.progress {
			case "":
				if len(bars) != 0 {
					t.Error("unexpected progress bar")
				}
			case "-":
				if len(bars) != 1 || hasAttr(bars[0], "value") {
					t.Error("want one indeterminate progress bar")
				}
			default:
				if len(bars) != 1 || attrOr(bars[0], "value") != tc.progress || attrOr(bars[0], "max") != "100" {
					t.Errorf("want progress value %s of 100", tc.progress)
				}
			}
		})
	}
}

func TestTrainingControlsShowSubmissionWithErrorsBesideFields(t *testing.T) {
	c := ControlsView{
		Values:         FormValues{Epochs: "3", BatchSize: "0", LR: "abc", TrainLimit: ""},
		Errors:         map[string]string{fmnist.FieldBatchSize: "must be between 1 and 4096", fmnist.FieldLR: "must be greater than 0"},
		Message:        "A training run is already in progress",
		MessageIsError: true,
		Buttons:        ButtonsView{CanStart: true},
	}
	d := render(t, TrainingControls(c, testToken))
	for field, want := range map[string]string{fmnist.FieldEpochs: "3", fmnist.FieldBatchSize: "0", fmnist.FieldLR: "abc", fmnist.FieldTrainLimit: ""} {
		in := d.byID("field-" + field)
		if attrOr(in, "name") != field || attrOr(in, "value") != want {
			t.Errorf("field %s: name %q value %q, want value %q", field, attrOr(in, "name"), attrOr(in, "value"), want)
		}
		msg, hasErr := c.Errors[field]
		if hasErr {
			e := d.byID("error-" + field)
			if text(e) != msg || attrOr(in, "aria-describedby") != "error-"+field || attrOr(in, "aria-invalid") != "true" {
				t.Errorf("field %s: error %q not tied to the input", field, text(e))
			}
			// Beside the field: in the same wrapper as the input.
			if e.Parent != in.Parent {
				t.Errorf("field %s: error is not next to its input", field)
			}
		} else if d.hasID("error-"+field) || hasAttr(in, "aria-invalid") {
			t.Errorf("field %s: error shown without one", field)
		}
	}
	if got := text(d.byID("training-message")); got != c.Message {
		t.Errorf("message %q, want %q", got, c.Message)
	}
	if !hasClass(d.byID("training-message"), "text-red-700") {
		t.Error("error message is not red")
	}
}

func TestNewFormValues(t *testing.T) {
	got := NewFormValues(fmnist.Config{Epochs: 3, BatchSize: 64, LR: 1e-3})
	got.Recipe = nil // TestRecipeValuesRoundTrip checks the recipe
	if want := (FormValues{Epochs: "3", BatchSize: "64", LR: "0.001"}); !reflect.DeepEqual(got, want) {
		t.Errorf("NewFormValues = %+v, want %+v", got, want)
	}
	if got := NewFormValues(fmnist.Config{Epochs: 1, BatchSize: 8, LR: 0.5, TrainLimit: 1000}).TrainLimit; got != "1000" {
		t.Errorf("TrainLimit = %q, want 1000", got)
	}
}

func TestControlButtons(t *testing.T) {
	for _, b := range []ButtonsView{{}, {CanStart: true}, {CanStop: true}} {
		d := render(t, controlButtons(b, false))
		start, stop := d.byID("start-button"), d.byID("stop-button")
		if hasAttr(start, "disabled") == b.CanStart || hasAttr(stop, "disabled") == b.CanStop {
			t.Errorf("%+v: start disabled=%v stop disabled=%v", b, hasAttr(start, "disabled"), hasAttr(stop, "disabled"))
		}
		if attrOr(start, "form") != "training-form" || attrOr(stop, "form") != "stop-form" {
			t.Errorf("buttons submit %q and %q", attrOr(start, "form"), attrOr(stop, "form"))
		}
		if hasAttr(d.byID("control-buttons"), "hx-swap-oob") {
			t.Error("in-band buttons must not be swapped out of band")
		}
	}
	d := render(t, controlButtons(ButtonsView{CanStop: true}, true))
	if got := attrOr(d.byID("control-buttons"), "hx-swap-oob"); got != "outerHTML" {
		t.Errorf("OOB buttons hx-swap-oob = %q, want outerHTML", got)
	}
}

// TestResumeButton: shown only for a run to resume, it submits the resume
// form with that run's id, both kept current by the status event.
func TestResumeButton(t *testing.T) {
	if d := render(t, controlButtons(ButtonsView{CanStart: true}, false)); d.hasID("resume-button") {
		t.Error("a Resume button with no run to resume")
	}
	d := render(t, controlButtons(ButtonsView{CanStart: true, ResumeRunID: 7}, true))
	button := d.byID("resume-button")
	if attrOr(button, "type") != "submit" || attrOr(button, "form") != "resume-form" || !strings.Contains(text(button), "Resume run 7") {
		t.Errorf("resume button: type %q, form %q, text %q", attrOr(button, "type"), attrOr(button, "form"), text(button))
	}
	ids := d.all(func(n *html.Node) bool { return n.Data == "input" && attrOr(n, "name") == "run_id" })
	if len(ids) != 1 || attrOr(ids[0], "value") != "7" || attrOr(ids[0], "form") != "resume-form" || attrOr(ids[0], "type") != "hidden" {
		t.Errorf("want one hidden run_id=7 input of the resume form")
	}
	page := samplePage()
	page.Controls.Buttons.ResumeRunID = 7
	if f := render(t, Page(page)).byID("resume-form"); attrOr(f, "action") != "/training/resume" {
		t.Errorf("resume form posts to %q", attrOr(f, "action"))
	}
}

// The status event is the new status line plus the buttons out of band; htmx
// swaps the first into #status-line and the second by its id.
func TestStatusEventCarriesButtonsOutOfBand(t *testing.T) {
	d := render(t, StatusEvent(StatusView{State: "failed", Message: "out of memory"}, ButtonsView{CanStart: true}))
	body := d.tag("body")[0]
	var top []*html.Node
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			top = append(top, c)
		}
	}
	if len(top) != 2 || attrOr(top[0], "id") != "status-line" || attrOr(top[1], "id") != "control-buttons" {
		t.Fatalf("want #status-line then #control-buttons at top level, got %d elements:\n%s", len(top), d.raw)
	}
	if attrOr(top[1], "hx-swap-oob") != "outerHTML" {
		t.Error("buttons are not swapped out of band")
	}
	if got := text(top[0]); got != "Failed out of memory" {
		t.Errorf("status text %q", got)
	}
}

func TestStatusLineLabels(t *testing.T) {
	for state, want := range map[fmnist.Status]string{"": "Idle", "idle": "Idle", "training": "Training", "interrupted": "Interrupted", "finished": "Finished", "weird": "Weird"} {
		d := render(t, statusLine(StatusView{State: state}))
		if got := text(d.byID("status-line")); got != want {
			t.Errorf("state %q reads %q, want %q", state, got, want)
		}
	}
}

func TestProgressPanel(t *testing.T) {
	d := render(t, ProgressPanel(ProgressView{}))
	if got := text(d.byID("progress-panel")); !strings.Contains(got, "No training run yet") {
		t.Errorf("zero progress reads %q", got)
	}
	d = render(t, ProgressPanel(ProgressView{Epoch: 2, Epochs: 3, Batch: 412, Batches: 938, Loss: 0.41234, AvgLoss: math.NaN(), Percent: 43.9, ImagesPerSec: 1834.4, Status: "training", LastAccuracy: 0.861, HasLastAccuracy: true}))
	got := text(d.byID("progress-panel"))
	for _, w := range []string{"Epoch 2 of 3", "44%", "412 / 938", "0.4123", "Average loss —", "1,834", "86.1%", "Training"} {
		if !strings.Contains(got, w) {
			t.Errorf("progress text %q lacks %q", got, w)
		}
	}
	if bar := d.tag("progress"); len(bar) != 1 || attrOr(bar[0], "value") != "43.9" {
		t.Error("want the epoch bar at 43.9")
	}
}

func TestLogPanelKeepsTheNewestEntries(t *testing.T) {
	var logs []LogView
	for i := 0; i < MaxLogEntries+7; i++ {
		logs = append(logs, LogView{Time: time.Unix(int64(i), 0), Level: "info", Message: fmt.Sprintf("line %d", i)})
	}
	d := render(t, logPanel(logs))
	items := within(d.byID("log-list"), named("li"))
	if len(items) != MaxLogEntries {
		t.Fatalf("%d entries, want %d", len(items), MaxLogEntries)
	}
	if first, last := text(items[0]), text(items[len(items)-1]); !strings.HasSuffix(first, "line 7") || !strings.HasSuffix(last, fmt.Sprintf("line %d", MaxLogEntries+6)) {
		t.Errorf("first %q, last %q: want the newest, oldest first", first, last)
	}
}

func TestLogEntry(t *testing.T) {
	at := time.Date(2025, 3, 4, 9, 8, 7, 0, time.UTC)
	for _, tc := range []struct {
		level        fmnist.Level
		shown, class string
	}{
		{"debug", "debug", "text-slate-600"},
		{"info", "info", "text-blue-700"},
		{"warn", "warn", "text-amber-800"},
		{"error", "error", "text-red-700"},
		{"", "info", "text-blue-700"},
	} {
		d := render(t, LogEntry(LogView{Time: at, Level: tc.level, Message: "<script>alert(1)</script>"}))
		li := d.tag("li")
		if len(li) != 1 {
			t.Fatalf("want one li")
		}
		if got := text(d.tag("time")[0]); got != "09:08:07" {
			t.Errorf("time %q, want 09:08:07", got)
		}
		badge := within(li[0], func(n *html.Node) bool { return hasClass(n, "badge") })
		if len(badge) != 1 || text(badge[0]) != tc.shown || !hasClass(badge[0], tc.class) {
			t.Errorf("level %q: badge %q, want %q with %s", tc.level, text(badge[0]), tc.shown, tc.class)
		}
		if len(d.tag("script")) != 0 || !strings.Contains(d.raw, "&lt;script&gt;") {
			t.Error("the message is not escaped")
		}
	}
}

func TestPredictionsPanel(t *testing.T) {
	d := render(t, PredictionsPanel(PredictionsView{}, testToken))
	if b := d.tag("button"); len(b) != 1 || !hasAttr(b[0], "disabled") {
		t.Error("Get Predictions must be disabled without a model")
	}
	if len(d.tag("img")) != 0 || d.hasID("test-accuracy") {
		t.Error("no model: want no images and no accuracy")
	}

	p := PredictionsView{HasModel: true, HasAccuracy: true, Accuracy: 0.8734}
	for i := 0; i < 16; i++ {
		actual := "Coat"
		if i == 5 {
			actual = "Shirt"
		}
		p.Items = append(p.Items, PredictionView{Index: 100 + i, Predicted: "Coat", Actual: actual, Probability: 0.5})
	}
	d = render(t, PredictionsPanel(p, testToken))
	if b := d.tag("button"); hasAttr(b[0], "disabled") {
		t.Error("Get Predictions must be enabled with a model")
	}
	if got := text(d.byID("test-accuracy")); got != "87.3%" {
		t.Errorf("accuracy %q, want 87.3%%", got)
	}
	imgs := d.tag("img")
	if len(imgs) != 16 {
		t.Fatalf("%d images, want 16", len(imgs))
	}
	img := imgs[5]
	if attrOr(img, "src") != "/predictions/image/105.png" || attrOr(img, "width") != "112" || attrOr(img, "height") != "112" || !hasClass(img, "[image-rendering:pixelated]") {
		t.Errorf("image %v", img.Attr)
	}
	cards := d.tag("li")
	if attrOr(cards[5], "data-correct") != "false" || attrOr(cards[4], "data-correct") != "true" {
		t.Error("cards do not say which predictions are right")
	}
	red := within(cards[5], func(n *html.Node) bool { return hasClass(n, "text-red-700") })
	green := within(cards[4], func(n *html.Node) bool { return hasClass(n, "text-emerald-700") })
	if len(red) != 1 || !strings.Contains(text(red[0]), "Shirt") || len(green) != 1 || !strings.Contains(text(green[0]), "Coat") {
		t.Error("true labels are not green when right and red when wrong")
	}
	if !strings.Contains(text(cards[0]), "50.0%") {
		t.Errorf("card %q lacks the probability", text(cards[0]))
	}
}

type chartOptions struct {
	Animation *bool `json:"animation"`
	Tooltip   struct {
		Trigger    string `json:"trigger"`
		RenderMode string `json:"renderMode"`
	} `json:"tooltip"`
	Grid  []map[string]any `json:"grid"`
	XAxis []struct {
		Type     string   `json:"type"`
		Interval *float64 `json:"interval"`
	} `json:"xAxis"`
	YAxis []struct {
		Scale *bool `json:"scale"`
	} `json:"yAxis"`
	TextStyle struct {
		FontFamily string `json:"fontFamily"`
	} `json:"textStyle"`
	Series []struct {
		Name           string `json:"name"`
		YAxisIndex     int    `json:"yAxisIndex"`
		Type           string `json:"type"`
		Smooth         *bool  `json:"smooth"`
		SmoothMonotone string `json:"smoothMonotone"`
		ShowSymbol     *bool  `json:"showSymbol"`
		Data           []struct {
			Value [2]float64 `json:"value"`
		} `json:"data"`
	} `json:"series"`
}

func TestLossChartOptions(t *testing.T) {
	raw, err := LossChartOptions([]LossPoint{{Epoch: 0.5, Loss: 1.5}, {Epoch: 0.6, Loss: math.NaN()}, {Epoch: 0.7, Loss: math.Inf(1)}, {Epoch: 1, Loss: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	var o chartOptions
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		t.Fatalf("options are not JSON: %v\n%s", err, raw)
	}
	switch {
	case o.Animation == nil || *o.Animation:
		t.Error("animation is not off")
	case o.Tooltip.Trigger != "axis":
		t.Errorf("tooltip trigger %q, want axis", o.Tooltip.Trigger)
	case o.Tooltip.RenderMode != "richText":
		t.Errorf("tooltip renderMode %q: an HTML tooltip needs inline styles", o.Tooltip.RenderMode)
	case len(o.Grid) != 1:
		t.Error("want a custom grid")
	case o.TextStyle.FontFamily == "":
		t.Error("want a chart font")
	case len(o.XAxis) != 1 || o.XAxis[0].Type != "value" || o.XAxis[0].Interval == nil || *o.XAxis[0].Interval != 0.1:
		t.Errorf("x axis %+v, want a value axis with ticks every 0.1", o.XAxis)
	case len(o.YAxis) != 2 || o.YAxis[0].Scale == nil || !*o.YAxis[0].Scale:
		t.Error("want a loss y axis that follows the data (scale) and a learning-rate axis")
	case len(o.Series) != 2 || o.Series[1].Name != LRSeriesName || o.Series[1].YAxisIndex != 1:
		t.Errorf("series %+v, want the loss and the learning rate on its own axis", o.Series)
	case o.Series[0].Type != "line" || o.Series[0].Smooth == nil || !*o.Series[0].Smooth || o.Series[0].ShowSymbol == nil || *o.Series[0].ShowSymbol:
		t.Errorf("series %+v, want one smooth line without symbols", o.Series)
	case o.Series[0].SmoothMonotone != "x":
		t.Errorf("series smoothMonotone %q, want \"x\": a plain spline overshoots the data", o.Series[0].SmoothMonotone)
	}
	if len(o.Series) == 2 {
		data := o.Series[0].Data
		if len(data) != 2 || data[0].Value != [2]float64{0.5, 1.5} || data[1].Value != [2]float64{1, 0.9} {
			t.Errorf("data %+v, want the two finite points", data)
		}
	}
}

// A late viewer gets the curve so far, as much of it as the browser keeps.
func TestLossChartEmbedsTheHistory(t *testing.T) {
	c := ChartView{Run: 12, MaxPoints: 3}
	for i := 1; i <= 5; i++ {
		c.Points = append(c.Points, LossPoint{Epoch: float64(i) / 10, Loss: float64(10 - i)})
	}
	d := render(t, lossChart(c))
	el := d.byID("loss-chart")
	if attrOr(el, "data-run") != "12" || attrOr(el, "data-max-points") != "3" {
		t.Errorf("data-run %q data-max-points %q", attrOr(el, "data-run"), attrOr(el, "data-max-points"))
	}
	var o chartOptions
	if err := json.Unmarshal([]byte(attrOr(el, "data-options")), &o); err != nil {
		t.Fatal(err)
	}
	data := o.Series[0].Data
	if len(data) != 3 || data[0].Value != [2]float64{0.3, 7} || data[2].Value != [2]float64{0.5, 5} {
		t.Errorf("embedded %+v, want the newest 3 points", data)
	}

	d = render(t, lossChart(ChartView{}))
	if got := attrOr(d.byID("loss-chart"), "data-max-points"); got != fmt.Sprint(DefaultMaxPoints) {
		t.Errorf("zero chart keeps %s points, want %d", got, DefaultMaxPoints)
	}
}

func TestErrorPages(t *testing.T) {
	d := render(t, NotFoundPage())
	if got := text(d.byID("error-page")); !strings.Contains(got, "404") || !strings.Contains(got, "Not Found") {
		t.Errorf("404 page reads %q", got)
	}
	d = render(t, ErrorPage(503, "The dataset is still downloading."))
	got := text(d.byID("error-page"))
	for _, w := range []string{"503", "Service Unavailable", "The dataset is still downloading.", "Back to the dashboard"} {
		if !strings.Contains(got, w) {
			t.Errorf("error page %q lacks %q", got, w)
		}
	}
	if d.hasID("live") || len(d.all(func(n *html.Node) bool { return hasAttr(n, "hx-headers") })) != 0 {
		t.Error("an error page must not subscribe to events or carry a token")
	}
}

func TestDatasetPercent(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		want        float64
	}{{0, 0, -1}, {5, -1, -1}, {0, 100, 0}, {50, 200, 25}, {300, 200, 100}} {
		if got := (DatasetView{Done: tc.done, Total: tc.total}).Percent(); got != tc.want {
			t.Errorf("Percent(%d/%d) = %v, want %v", tc.done, tc.total, got, tc.want)
		}
	}
}

func TestFormatLossFitsAStatCard(t *testing.T) {
	for in, want := range map[float64]string{0.47671: "0.4767", 2.302585: "2.3026", 9999.5: "9999.5000", 3.4e12: "3.400e+12", -2e5: "-2.000e+05"} {
		if got := formatLoss(in); got != want {
			t.Errorf("formatLoss(%v) = %q, want %q", in, got, want)
		}
	}
	if got := formatLoss(math.Inf(1)); got != "—" {
		t.Errorf("formatLoss(+Inf) = %q, want a dash", got)
	}
}
