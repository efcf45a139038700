package main

// End-to-end tests of the dashboard: the real server runs in-process on a
// free loopback port, downloads a small synthetic dataset from a local HTTP
// server, and a headless chromium (driven by chromedp) uses the page the way
// a person would, with JavaScript on and off. Screenshots of every stage go
// to $FMNIST_ARTIFACTS (default: $TMPDIR/fmnist-e2e) for a human to look at.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// The dataset and training run are as small as still shows every part of
// the page; the run is long enough (many epochs) that it is still training
// when the test presses Stop, however fast the machine.
const (
	browserTrainImages = 2048
	browserTestImages  = 512
	browserEpochs      = "100"
	browserBatchSize   = "32"
	browserTrainLimit  = "1024"
	browserPredictions = 16
	browserMinLogLines = 6
	browserPhoneWidth  = 375
	browserWideWidth   = 1440
)

// Timeouts of single steps; together they keep a test well under a minute
// on a healthy run and make a hung step fail with its name.
const (
	browserStepTimeout     = 10 * time.Second
	browserDownloadTimeout = 20 * time.Second
	browserTrainingTimeout = 30 * time.Second
	browserServerTimeout   = 15 * time.Second
)

// browserPanels are the ids of the parts of the dashboard (views/*.templ).
var browserPanels = []string{
	"dataset-panel", "training-controls", "progress-panel", "loss-chart-panel",
	"log-panel", "predictions-panel", "status-line", "system-panel",
}

// TestBrowserDashboard loads the page on a desktop and on a phone-sized
// screen: every panel is there, the console stays clean, the page fetches
// nothing from other hosts and nothing overflows sideways on the phone.
func TestBrowserDashboard(t *testing.T) {
	b, origin := startBrowserTest(t, true)

	b.navigate(t, origin+"/")
	if title := b.eval(t, "document.title"); !strings.Contains(title, "Fashion-MNIST Trainer") {
		t.Errorf("title = %q, want it to name the app", title)
	}
	b.waitFor(t, "the loss chart to be drawn", browserStepTimeout, browserChartReadyJS)
	b.stage(t, "desktop")

	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	b.navigate(t, origin+"/")
	b.waitFor(t, "the loss chart to be drawn", browserStepTimeout, browserChartReadyJS)
	b.stage(t, "phone")
	b.checkNoHorizontalScroll(t)
	b.checkAccessible(t, "the dashboard on a phone")

	b.checkClean(t)
}

// TestBrowserTrainingFlow is the whole journey with JavaScript: download the
// dataset, train with a small config while the chart and log update live,
// stop, and look at predictions.
func TestBrowserTrainingFlow(t *testing.T) {
	b, origin := startBrowserTest(t, true)

	b.navigate(t, origin+"/")
	if b.evalBool(t, "!document.getElementById('start-button').disabled") {
		t.Fatal("Start is enabled before the dataset is downloaded")
	}
	b.stage(t, "1-initial")

	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"!document.getElementById('start-button').disabled")
	b.waitFor(t, "the dataset panel to say it is ready", browserStepTimeout,
		"document.getElementById('dataset-panel').textContent.includes('Ready for training')")
	b.stage(t, "2-dataset-ready")
	b.checkDatasetOnPhone(t, "2-dataset-ready-phone")

	b.fillTrainingForm(t)
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	b.waitFor(t, "points in the loss chart", browserTrainingTimeout, `(() => {
		const el = document.getElementById('loss-chart');
		const chart = el && window.echarts && echarts.getInstanceByDom(el);
		return !!chart && chart.getOption().series[0].data.length > 0;
	})()`)
	b.waitFor(t, fmt.Sprintf("at least %d log entries", browserMinLogLines), browserTrainingTimeout,
		fmt.Sprintf("document.querySelectorAll('#log-list > li').length >= %d", browserMinLogLines))
	b.waitFor(t, "the progress panel to show the epoch", browserStepTimeout,
		"/Epoch \\d+ of "+browserEpochs+"/.test(document.getElementById('progress-panel').textContent)")
	b.stage(t, "3-training")
	b.checkAccessible(t, "the dashboard during training")

	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))
	if status := b.eval(t, "document.getElementById('status-line').textContent"); !strings.Contains(status, "Stopped") {
		t.Errorf("status line %q does not say Stopped", strings.Join(strings.Fields(status), " "))
	}
	b.waitFor(t, "Start to be enabled again after stopping", browserStepTimeout,
		"!document.getElementById('start-button').disabled")
	b.stage(t, "4-stopped")

	b.waitFor(t, "Get Predictions to be enabled", browserStepTimeout, "!("+browserButtonJS("Get Predictions")+").disabled")
	// Whether "Predicting…" shows once the request is out (htmx has marked
	// the form by then).
	b.eval(t, `(() => {
		window.predictingShown = '';
		document.body.addEventListener('htmx:beforeSend', e => {
			const p = document.getElementById('predicting');
			if (p && e.target.contains(p)) window.predictingShown = p.offsetParent !== null ? p.textContent : 'hidden';
		});
		return '';
	})()`)
	b.clickButton(t, "Get Predictions")
	b.checkPredictions(t)
	if got := b.eval(t, "window.predictingShown"); got != "Predicting…" {
		t.Errorf("while predicting, the indicator showed %q, want Predicting…", got)
	}
	if b.evalBool(t, "document.getElementById('predicting').offsetParent !== null") {
		t.Error("Predicting… still shows after the predictions came")
	}
	b.stage(t, "5-predictions")
	b.checkAccessible(t, "the dashboard with predictions")

	// The live curve is smooth but monotone, its tooltip says what it shows,
	// and its subtitle what a point is (1024 images in batches of 32: 32
	// batches, ⌈32/20⌉ = 2 per point), though the page loaded before the run.
	if got, want := b.eval(t, "document.querySelector('#loss-chart-panel .chart-subtitle').textContent"), "mean loss over the last 2 batches · x in epochs"; got != want {
		t.Errorf("subtitle %q, want %q", got, want)
	}
	chartJS := "echarts.getInstanceByDom(document.getElementById('loss-chart')).getOption()"
	if got := b.eval(t, chartJS+".series.map(s => s.smoothMonotone).join(',')"); got == "" || strings.Trim(got, "x,") != "" {
		t.Errorf("series smoothMonotone %q, want 'x' on every series", got)
	}
	if got, want := b.eval(t, chartJS+".tooltip[0].formatter([{seriesId: 'raw-0', value: [0.65, 0.47671]}])"), "epoch 0.65 · loss 0.4767"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}

	// With JavaScript every action updates the page in place (htmx and the
	// event stream); a full page load would mean a form fell back to a post.
	if loads := b.pageLoads(); len(loads) != 1 {
		t.Errorf("the page was loaded %d times (%s), want once", len(loads), strings.Join(loads, ", "))
	}

	// A wide screen shows the chart at its widest; the full page (long log
	// lines, 16 cards) must still fit a phone.
	b.do(t, "emulate a 1440 px screen", chromedp.EmulateViewport(browserWideWidth, 900))
	b.stage(t, "6-wide")
	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	b.stage(t, "7-phone")
	b.checkNoHorizontalScroll(t)
	b.checkClean(t)
}

// TestBrowserTrainingFlowWithoutJavaScript is the same journey through the
// plain forms: every button posts and the server answers with the page; while
// something runs the page refreshes itself.
func TestBrowserTrainingFlowWithoutJavaScript(t *testing.T) {
	b, origin := startBrowserTest(t, false)

	b.navigate(t, origin+"/")
	if n := b.evalInt(t, "document.scripts.length"); n == 0 {
		t.Fatal("the page has no scripts; the test would not show that it works without them")
	}
	if b.evalBool(t, "!document.getElementById('start-button').disabled") {
		t.Fatal("Start is enabled before the dataset is downloaded")
	}
	b.stage(t, "1-initial")

	// The page refreshes itself while the download runs; no reload by the test.
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "the page to show the dataset ready", browserDownloadTimeout,
		"document.getElementById('dataset-panel').textContent.includes('Ready for training') && !document.getElementById('start-button').disabled")
	b.stage(t, "2-dataset-ready")
	b.checkDatasetOnPhone(t, "2-dataset-ready-phone")

	b.fillTrainingForm(t)
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	b.waitFor(t, "the refreshing page to show progress and log entries", browserTrainingTimeout,
		fmt.Sprintf("/Epoch \\d+ of %s/.test(document.getElementById('progress-panel').textContent) && document.querySelectorAll('#log-list > li').length >= %d",
			browserEpochs, browserMinLogLines))
	b.stage(t, "3-training")
	// Right after a refresh, so that the next one does not replace the page
	// under the audit.
	b.waitForLoad(t, "an automatic refresh")
	b.checkAccessible(t, "the dashboard during training, without JavaScript")

	// Click right after a refresh so the next one (3 s later) cannot replace
	// the page under the click.
	b.waitForLoad(t, "the next automatic refresh")
	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))
	b.stage(t, "4-stopped")
	// Without JavaScript the server draws the curve as SVG in place of the live chart.
	// It is the same monotone cubic as the live chart (Bezier segments), with
	// gridlines and ticks on both axes.
	if got := b.evalInt(t, `(() => {
		const path = document.querySelector('#loss-chart-static path.curve');
		const box = path ? path.getBoundingClientRect() : null;
		return path && box.width > 100 && box.height > 10 ? (path.getAttribute('d').match(/C/g) || []).length : 0;
	})()`); got < 1 {
		t.Errorf("the static loss chart draws %d cubic segments, want the curve so far as a path of C commands", got)
	}
	if got := b.evalInt(t, "document.querySelectorAll('#loss-chart-static .grid line').length"); got < 2 {
		t.Errorf("the static loss chart has %d gridlines, want one per y tick", got)
	}
	if got := b.evalInt(t, "document.querySelectorAll('#loss-chart-static .x-ticks line').length"); got < 2 {
		t.Errorf("the static loss chart has %d x ticks, want several", got)
	}

	b.waitFor(t, "Get Predictions to be enabled", browserStepTimeout, "!("+browserButtonJS("Get Predictions")+").disabled")
	b.clickButton(t, "Get Predictions")
	b.checkPredictions(t)
	if got := b.eval(t, "location.hash"); got != "#predictions-panel" {
		t.Errorf("after Get Predictions the page is at %q, want #predictions-panel (the grid in view)", got)
	}
	b.stage(t, "5-predictions")

	if got := b.evalInt(t, "document.querySelectorAll('#loss-chart canvas').length"); got != 0 {
		t.Errorf("found %d chart canvases with JavaScript disabled; the scripts ran", got)
	}
	b.do(t, "emulate a 1440 px screen", chromedp.EmulateViewport(browserWideWidth, 900))
	b.stage(t, "6-wide")
	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	b.stage(t, "7-phone")
	b.checkClean(t)
}

// TestBrowserCancelHungDownload downloads from a mirror that accepts
// connections and never answers, and presses the dataset panel's Cancel:
// htmx swaps the panel in place, though the button came over the event
// stream without a token in its form.
func TestBrowserCancelHungDownload(t *testing.T) { browserCancelHungDownload(t, true) }

// TestBrowserCancelHungDownloadWithoutJavaScript is the same through the
// plain form: it posts, and the page comes back.
func TestBrowserCancelHungDownloadWithoutJavaScript(t *testing.T) {
	browserCancelHungDownload(t, false)
}

func browserCancelHungDownload(t *testing.T, javaScript bool) {
	chromium := findChromium(t)
	hung := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	origin := startBrowserServerWith(t, hung)
	b := newBrowserSession(t, chromium, origin, javaScript)

	b.navigate(t, origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "the Cancel button", browserStepTimeout,
		"!!document.getElementById('cancel-download') && !document.getElementById('cancel-download').disabled")
	b.stage(t, "1-downloading")
	if !javaScript {
		// Click right after a refresh so the next one (3 s later) cannot
		// replace the page under the click.
		b.waitForLoad(t, "the next automatic refresh")
	}
	b.click(t, "#cancel-download")
	b.waitFor(t, "the panel to say the download was cancelled", browserStepTimeout,
		"document.getElementById('dataset-panel').textContent.includes('cancelled') && !("+
			browserButtonJS("Download & Prepare Dataset")+").disabled")
	b.stage(t, "2-cancelled")
	if loads := b.pageLoads(); javaScript && len(loads) != 1 {
		t.Errorf("the page was loaded %d times (%s), want once", len(loads), strings.Join(loads, ", "))
	}
	b.checkClean(t)
}

// TestBrowserPageOutlivesARestart restarts the server (on the same port)
// under a page that watches a run: the page's event stream reconnects by
// itself, and without a reload the page shows the run as the new process
// sees it, stopped, with the log line written while it shut down.
func TestBrowserPageOutlivesARestart(t *testing.T) {
	chromium := findChromium(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	datasetURL, dataDir := browserDatasetURL(t), t.TempDir()
	first := serveForBrowser(t, datasetURL, dataDir, addr)
	b := newBrowserSession(t, chromium, first.origin, true)

	b.navigate(t, first.origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"!document.getElementById('start-button').disabled")
	b.fillTrainingForm(t)
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	b.waitFor(t, "the progress panel to show the epoch", browserTrainingTimeout,
		"/Epoch \\d+ of "+browserEpochs+"/.test(document.getElementById('progress-panel').textContent)")
	b.stage(t, "1-training")

	// A graceful restart: the run stops and is saved after the streams end,
	// so the page hears nothing of it from the old process.
	first.stop()
	if !b.evalBool(t, browserStatusIs("training")) {
		t.Fatal("the page no longer says training before the server is back; the test shows nothing")
	}
	second := serveForBrowser(t, datasetURL, dataDir, addr)
	b.waitFor(t, "the page to show the run stopped without a reload", browserTrainingTimeout, browserStatusIs("stopped"))
	b.waitFor(t, "the log to show the line written at the shutdown", browserStepTimeout,
		"Array.from(document.querySelectorAll('#log-list > li')).some(li => li.textContent.includes('Training stopped'))")
	b.waitFor(t, "Start to be enabled again", browserStepTimeout, "!document.getElementById('start-button').disabled")
	b.stage(t, "2-after-restart")
	if loads := b.pageLoads(); len(loads) != 1 {
		t.Errorf("the page was loaded %d times (%s), want once", len(loads), strings.Join(loads, ", "))
	}

	// The stream is live again: a new run shows up on its own.
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training again", browserStepTimeout, browserStatusIs("training"))
	second.stop()
}

// TestBrowserLowDiskSpace starts a run while the data dir has less free
// space than a run needs (the threshold is set above any disk): the
// refusal (507) shows its message in the training controls, like any other
// refusal, not as a generic "request failed".
func TestBrowserLowDiskSpace(t *testing.T) {
	b, origin := startBrowserTest(t, true, "--min-free-mb", "1000000000")

	b.downloadAndStart(t, origin)
	b.waitFor(t, "the refusal in the training controls", browserStepTimeout,
		"document.getElementById('training-controls').textContent.includes('Not enough free disk space to start a run')")
	if b.evalBool(t, "!document.getElementById('request-error').classList.contains('hidden')") {
		t.Errorf("the page also says %q", b.eval(t, "document.getElementById('request-error').textContent"))
	}
	b.stage(t, "refused")
	if status := b.eval(t, "document.getElementById('status-line').textContent"); strings.Contains(status, "Training") {
		t.Errorf("the status line says %q after a refused start", strings.Join(strings.Fields(status), " "))
	}
}

// startBrowserTest looks for chromium first (no browser, no server), then
// starts the app (with serveFlags added) and a tab on it.
func startBrowserTest(t *testing.T, javaScript bool, serveFlags ...string) (*browserSession, string) {
	t.Helper()
	chromium := findChromium(t)
	origin := startBrowserServer(t, serveFlags...)
	return newBrowserSession(t, chromium, origin, javaScript), origin
}

// servingLine is what `fmnist serve` prints once it listens.
var servingLine = regexp.MustCompile(`serving on (http://\S+)`)

// startBrowserServer runs `fmnist serve` in-process on a free loopback port
// with an empty data dir, its dataset source a local server of synthetic
// files, and returns its origin (http://127.0.0.1:PORT). The server stops,
// and must exit with status 0, when the test ends. serveFlags are added to
// its command line.
func startBrowserServer(t *testing.T, serveFlags ...string) string {
	t.Helper()
	return serveForBrowser(t, browserDatasetURL(t), t.TempDir(), "127.0.0.1:0", serveFlags...).origin
}

// browserDatasetURL serves a synthetic dataset over HTTP for the test and
// returns its URL, the server's --dataset-url.
func browserDatasetURL(t *testing.T) string {
	t.Helper()
	source := t.TempDir()
	datatest.WriteDataset(t, source, browserTrainImages, browserTestImages, 5)
	return serveMirror(t, http.FileServer(http.Dir(source)))
}

// serveMirror serves a dataset source for the test and returns its URL.
func serveMirror(t *testing.T, mirror http.Handler) string {
	t.Helper()
	datasetServer := httptest.NewServer(mirror)
	t.Cleanup(datasetServer.Close)
	return datasetServer.URL + "/"
}

// startBrowserServerWith is startBrowserServer with the dataset source
// served by mirror.
func startBrowserServerWith(t *testing.T, mirror http.Handler) string {
	t.Helper()
	return serveForBrowser(t, serveMirror(t, mirror), t.TempDir(), "127.0.0.1:0").origin
}

// browserServer is one `fmnist serve` running in-process.
type browserServer struct {
	origin string
	stop   func() // graceful, as on SIGTERM; checks the exit status; idempotent
}

// serveForBrowser runs `fmnist serve` on addr with the data dir and dataset
// source given (and serveFlags), and waits until it serves. It stops at the end of the test
// if not before.
func serveForBrowser(t *testing.T, datasetURL, dataDir, addr string, serveFlags ...string) *browserServer {
	t.Helper()
	args := append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--dataset-url", datasetURL}, serveFlags...)
	ctx, cancel := context.WithCancel(context.Background())
	stdoutReader, stdoutWriter := io.Pipe()
	var stderr lockedBuffer
	exited := make(chan int, 1)
	go func() {
		code := run(ctx, args, stdoutWriter, &stderr)
		stdoutWriter.Close()
		exited <- code
	}()
	origins := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdoutReader)
		for lines.Scan() {
			if m := servingLine.FindStringSubmatch(lines.Text()); m != nil && len(origins) == 0 {
				origins <- strings.TrimSuffix(m[1], "/")
			}
		}
		_, _ = io.Copy(io.Discard, stdoutReader) // never block the server's writes
	}()

	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case code := <-exited:
				if code != 0 {
					t.Errorf("fmnist serve exited with status %d, want 0", code)
				}
			case <-time.After(browserServerTimeout):
				t.Errorf("fmnist serve did not stop within %v of its context ending", browserServerTimeout)
			}
			if t.Failed() {
				t.Logf("server log (stderr):\n%s", stderr.tail(8000))
			}
		})
	}
	select {
	case origin := <-origins:
		t.Cleanup(stop)
		t.Logf("server at %s, data in %s", origin, dataDir)
		return &browserServer{origin: origin, stop: stop}
	case code := <-exited:
		cancel()
		t.Fatalf("fmnist %s exited with status %d before serving; stderr:\n%s", strings.Join(args, " "), code, stderr.tail(8000))
	case <-time.After(browserServerTimeout):
		stop()
		t.Fatalf("fmnist serve printed no %q line within %v", "serving on", browserServerTimeout)
	}
	return nil
}

// browserSession is one chromium tab and what it saw: console errors and
// the URL of every request the page made.
type browserSession struct {
	ctx       context.Context
	origin    string
	artifacts string
	axe       string // axe-core's script, read on the first audit
	noScripts bool   // the page's scripts do not run

	mu            sync.Mutex
	consoleErrors []string
	requests      []browserRequest
}

// browserRequest is one request the page made.
type browserRequest struct {
	method, url string
	document    bool // a page load, not a resource of the page
}

// newBrowserSession starts a headless chromium with a fresh profile, and a
// tab that records console errors and requests. With javaScript false the
// tab runs no page scripts.
func newBrowserSession(t *testing.T, execPath, origin string, javaScript bool) *browserSession {
	t.Helper()
	profile, err := os.MkdirTemp("", "fmnist-chromium-")
	if err != nil {
		t.Fatalf("create a chromium profile dir: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// No traffic of the browser's own: any request must be the page's.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-proxy-server", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses to run as root with its sandbox
	}
	b := &browserSession{origin: origin, artifacts: artifactsDir(t), noScripts: !javaScript}
	// Chromium now and then dies as it starts on a busy machine (a crash
	// report and no DevTools): a second start is tried before failing.
	var ctx context.Context
	for attempt := 1; ; attempt++ {
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		tabCtx, cancelTab := chromedp.NewContext(allocCtx)
		b.ctx = tabCtx
		// Listen starts the browser; it sees every event before the command
		// that follows, so nothing is missed at the end of the test.
		err := chromedp.Listen(tabCtx, b.record)
		if err == nil {
			ctx = tabCtx
			t.Cleanup(func() {
				if err := chromedp.Cancel(tabCtx); err != nil && !errors.Is(err, context.Canceled) {
					t.Logf("close chromium: %v", err)
				}
				cancelTab()
				cancelAlloc()
				if err := os.RemoveAll(profile); err != nil {
					t.Logf("remove the chromium profile: %v", err)
				}
			})
			break
		}
		cancelTab()
		cancelAlloc()
		if attempt == 2 {
			_ = os.RemoveAll(profile)
			t.Fatalf("start chromium (%s): %v", execPath, err)
		}
		t.Logf("start chromium (%s), tried again: %v", execPath, err)
	}
	if !javaScript {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("disable JavaScript: %v", err)
		}
	}
	t.Logf("screenshots go to %s", b.artifacts)
	return b
}

// findChromium returns the browser to drive: $FMNIST_CHROMIUM, or the first
// chromium or chrome on PATH. Without one the test is skipped, or fails when
// CI=true.
func findChromium(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("FMNIST_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no chromium or chrome on PATH (install Debian's chromium, or set FMNIST_CHROMIUM)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; browser tests skipped")
	return ""
}

// artifactsDir is where screenshots go: $FMNIST_ARTIFACTS, or fmnist-e2e in
// the temporary directory. It outlives the test on purpose.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FMNIST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fmnist-e2e")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create the artifacts dir: %v", err)
	}
	return dir
}

// record keeps what the tab reports. It runs on chromedp's reading
// goroutine, so it only appends under the lock.
func (b *browserSession) record(ev any) {
	var problem string
	var request *browserRequest
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			problem = "console." + string(ev.Type) + ": " + consoleArgs(ev.Args)
		}
	case *runtime.EventExceptionThrown:
		problem = "uncaught exception: " + exceptionText(ev.ExceptionDetails)
	case *log.EventEntryAdded:
		// The browser's own errors: failed loads, CSP violations...
		if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
			problem = fmt.Sprintf("%s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			request = &browserRequest{method: ev.Request.Method, url: ev.Request.URL, document: ev.Type == network.ResourceTypeDocument}
		}
	}
	if problem == "" && request == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if problem != "" {
		b.consoleErrors = append(b.consoleErrors, problem)
	}
	if request != nil {
		b.requests = append(b.requests, *request)
	}
}

// checkClean fails the test for console errors so far and for any request
// that left the app's origin.
func (b *browserSession) checkClean(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, msg := range b.consoleErrors {
		t.Errorf("browser console: %s", msg)
	}
	if len(b.requests) == 0 {
		t.Error("no request was recorded; the network listener does not work")
	}
	for _, req := range b.requests {
		if !strings.HasPrefix(req.url, b.origin+"/") && !strings.HasPrefix(req.url, "data:") && !strings.HasPrefix(req.url, "blob:") {
			t.Errorf("request to another origin than %s: %s %s", b.origin, req.method, req.url)
		}
	}
	t.Logf("%d requests, all to %s", len(b.requests), b.origin)
}

// pageLoads lists the documents the tab loaded, e.g. "GET /".
func (b *browserSession) pageLoads() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var loads []string
	for _, req := range b.requests {
		if req.document {
			loads = append(loads, req.method+" "+strings.TrimPrefix(req.url, b.origin))
		}
	}
	return loads
}

// within gives one step its own deadline; the browser lives on after it.
func (b *browserSession) within(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

// A page that replaces itself (a live page reloading when its run ends, the
// tab finishing a load, the status event swapping the control buttons at
// every epoch of a tiny test run) can invalidate the node an action found;
// the action is then tried again, up to five times, on the page as it is now.
func (b *browserSession) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := b.doOnce(actions...)
	for try := 0; try < 5 && err != nil && strings.Contains(err.Error(), "Could not find node with given id"); try++ {
		time.Sleep(200 * time.Millisecond)
		err = b.doOnce(actions...)
	}
	if err != nil {
		b.failureScreenshot(t)
		t.Fatalf("%s: %v", what, err)
	}
}

func (b *browserSession) doOnce(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// navigate loads url and fails unless the server answered 200.
func (b *browserSession) navigate(t *testing.T, url string) {
	t.Helper()
	resp, err := b.navigateOnce(url)
	if err != nil && strings.Contains(err.Error(), "net::ERR_ABORTED") {
		// The page navigated by itself meanwhile (a live page reloads
		// when its run ends): open url again.
		time.Sleep(200 * time.Millisecond)
		resp, err = b.navigateOnce(url)
	}
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp == nil {
		t.Fatalf("open %s: no response (the load did not reach the server)", url)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("open %s: status %d, want 200", url, resp.Status)
	}
}

func (b *browserSession) navigateOnce(url string) (*network.Response, error) {
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.NavigateResponse(url))
}

// click clicks the first element matching the CSS selector.
func (b *browserSession) click(t *testing.T, selector string) {
	t.Helper()
	b.do(t, "click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// clickButton clicks the button labelled label, as a person would find it.
func (b *browserSession) clickButton(t *testing.T, label string) {
	t.Helper()
	b.do(t, fmt.Sprintf("click the button %q", label), chromedp.Click(chromedp.JSPath(browserButtonJS(label))))
}

// waitForLoad waits until the tab next finishes loading a page.
func (b *browserSession) waitForLoad(t *testing.T, what string) {
	t.Helper()
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Sleep(0))); err != nil {
		b.failureScreenshot(t)
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitFor polls a JavaScript condition until it is true. The polling runs
// from Go, one evaluation at a time, so it survives page loads (the page
// refreshes itself without JavaScript) and works with page scripts disabled.
func (b *browserSession) waitFor(t *testing.T, what string, timeout time.Duration, condition string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ctx, cancel := b.within(2 * time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](condition))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err // e.g. the page is being replaced; try again
		}
		if time.Now().After(deadline) {
			b.failureScreenshot(t)
			if lastErr != nil {
				t.Fatalf("waiting %v for %s: last error: %v", timeout, what, lastErr)
			}
			t.Fatalf("waited %v for %s; the page says: %s", timeout, what, b.pageText(t))
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// eval evaluates a JavaScript expression with a string result.
func (b *browserSession) eval(t *testing.T, expression string) string {
	t.Helper()
	return browserEval[string](t, b, expression)
}

func (b *browserSession) evalInt(t *testing.T, expression string) int {
	t.Helper()
	return browserEval[int](t, b, expression)
}

func (b *browserSession) evalBool(t *testing.T, expression string) bool {
	t.Helper()
	return browserEval[bool](t, b, expression)
}

func browserEval[T any](t *testing.T, b *browserSession, expression string) T {
	t.Helper()
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expression, err)
	}
	return v
}

// pageText is the visible text of the page, squeezed onto one line, for
// failure messages.
func (b *browserSession) pageText(t *testing.T) string {
	ctx, cancel := b.within(2 * time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return strings.Join(strings.Fields(text), " ")
}

// stage checks what every state of the page must hold, every panel there
// once and no id used twice (a fragment swapped into the wrong place nests
// panels), and saves a screenshot of it.
func (b *browserSession) stage(t *testing.T, name string) {
	t.Helper()
	b.screenshot(t, name)
	b.checkPanels(t)
	if dup := b.eval(t, browserDuplicateIDsJS); dup != "" {
		t.Errorf("at stage %s, ids used more than once: %s", name, dup)
	}
}

// screenshot saves a full-page PNG named after the test and the stage.
func (b *browserSession) screenshot(t *testing.T, stage string) {
	t.Helper()
	var png []byte
	for attempt := 1; ; attempt++ {
		ctx, cancel := b.within(browserStepTimeout)
		var err error
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil {
			break
		}
		// A page that is being replaced has no size for a moment.
		if attempt == 3 || !strings.Contains(err.Error(), "0 width") {
			t.Fatalf("screenshot %s: %v", stage, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	path := filepath.Join(b.artifacts, fmt.Sprintf("%s-%s.png", t.Name(), stage))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", path)
}

// failureScreenshot saves what the page looked like when a step failed.
func (b *browserSession) failureScreenshot(t *testing.T) {
	ctx, cancel := b.within(5 * time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	path := filepath.Join(b.artifacts, t.Name()+"-failure.png")
	if os.WriteFile(path, png, 0o644) == nil {
		t.Logf("failure screenshot: %s", path)
	}
}

// checkPanels fails for any dashboard panel that is missing or has no size.
func (b *browserSession) checkPanels(t *testing.T) {
	t.Helper()
	for _, id := range browserPanels {
		size := b.eval(t, fmt.Sprintf(`(() => {
			const el = document.getElementById(%q);
			if (!el) return 'missing';
			const r = el.getBoundingClientRect();
			return r.width > 0 && r.height > 0 ? 'ok' : 'zero size ' + r.width + 'x' + r.height;
		})()`, id))
		if size != "ok" {
			t.Errorf("panel #%s: %s", id, size)
		}
	}
}

// checkNoHorizontalScroll fails when the page is wider than a phone screen.
func (b *browserSession) checkNoHorizontalScroll(t *testing.T) {
	t.Helper()
	if width := b.evalInt(t, "document.documentElement.scrollWidth"); width > browserPhoneWidth {
		t.Errorf("page is %d px wide on a %d px screen (horizontal scrolling); elements sticking out: %s",
			width, browserPhoneWidth, b.eval(t, browserWidestJS))
	}
}

// checkDatasetOnPhone looks at a ready dataset card on a 375 px phone, where
// it must be one line, and again on the desktop, where it shows the counts
// and what they mean. It saves a screenshot of the phone.
func (b *browserSession) checkDatasetOnPhone(t *testing.T, stage string) {
	t.Helper()
	want := fmt.Sprintf("✓ Dataset ready (%s / %s)", browserCount(browserTrainImages), browserCount(browserTestImages))
	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	b.screenshot(t, stage)
	if got := strings.Join(strings.Fields(b.eval(t, "document.getElementById('dataset-panel').innerText")), " "); got != want {
		t.Errorf("on a phone the ready dataset card reads %q, want %q", got, want)
	}
	// One line of text and the card's padding, not the desktop card's stats.
	if h := b.evalInt(t, "Math.round(document.getElementById('dataset-panel').getBoundingClientRect().height)"); h > 56 {
		t.Errorf("on a phone the ready dataset card is %d px high, want one line (at most 56 px)", h)
	} else {
		t.Logf("on a phone the ready dataset card is %d px high", h)
	}
	b.checkNoHorizontalScroll(t)
	b.do(t, "emulate a 1440 px desktop", chromedp.EmulateViewport(1440, 900))
	if b.evalBool(t, "document.getElementById('dataset-ready-line').getBoundingClientRect().height > 0") ||
		!b.evalBool(t, "document.getElementById('dataset-panel').innerText.includes('Training images')") {
		t.Errorf("on the desktop the dataset card is collapsed: %q", b.eval(t, "document.getElementById('dataset-panel').innerText"))
	}
}

// browserCount writes n as the page does, with thousands separators.
func browserCount(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fillTrainingForm types the small test configuration into the form.
func (b *browserSession) fillTrainingForm(t *testing.T) {
	t.Helper()
	b.do(t, "fill in the training form",
		chromedp.SetValue(chromedp.CSS("#field-epochs"), browserEpochs),
		chromedp.SetValue(chromedp.CSS("#field-batch_size"), browserBatchSize),
		chromedp.SetValue(chromedp.CSS("#field-train_limit"), browserTrainLimit),
	)
}

// downloadDataset opens the dashboard and downloads the dataset.
func (b *browserSession) downloadDataset(t *testing.T, origin string) {
	t.Helper()
	b.navigate(t, origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"!document.getElementById('start-button').disabled")
}

// downloadAndStart downloads the dataset and starts the small test run.
func (b *browserSession) downloadAndStart(t *testing.T, origin string) {
	t.Helper()
	b.downloadDataset(t, origin)
	b.fillTrainingForm(t)
	b.click(t, "#start-button")
}

// browserPrediction is one card of the predictions panel.
type browserPrediction struct {
	Src       string `json:"src"`
	Width     int    `json:"width"`
	Predicted string `json:"predicted"`
	Truth     string `json:"truth"`
}

// checkPredictions waits for the 16 prediction cards and checks that each
// shows a loaded image, a predicted class and the true class.
func (b *browserSession) checkPredictions(t *testing.T) {
	t.Helper()
	b.waitFor(t, fmt.Sprintf("%d prediction images to load", browserPredictions), browserTrainingTimeout, fmt.Sprintf(`(() => {
		const panel = document.getElementById('predictions-panel');
		const imgs = panel ? panel.querySelectorAll('li img') : [];
		if (imgs.length > 0) panel.scrollIntoView(); // the images load lazily
		return imgs.length === %d && Array.from(imgs).every(img => img.complete && img.naturalWidth > 0);
	})()`, browserPredictions))
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	cards, err := chromedp.Run(ctx, chromedp.Evaluate[[]browserPrediction](`
		Array.from(document.querySelectorAll('#predictions-panel li')).map(li => {
			const img = li.querySelector('img');
			const predicted = li.querySelector('p');
			const truth = li.querySelector('[title^="True label: "]');
			return {
				src: img ? img.getAttribute('src') : '',
				width: img ? img.naturalWidth : 0,
				predicted: predicted ? predicted.textContent.trim() : '',
				truth: truth ? truth.getAttribute('title').slice('True label: '.length) : '',
			};
		})`))
	if err != nil {
		t.Fatalf("read the prediction cards: %v", err)
	}
	if len(cards) != browserPredictions {
		t.Fatalf("%d prediction cards, want %d", len(cards), browserPredictions)
	}
	sources := map[string]bool{}
	for i, c := range cards {
		if c.Width != 28*4 {
			t.Errorf("card %d: image %s is %d px wide, want 112 (28 px × 4)", i+1, c.Src, c.Width)
		}
		if !slices.Contains(fmnist.ClassNames[:], c.Predicted) {
			t.Errorf("card %d: predicted label %q is not a class name", i+1, c.Predicted)
		}
		if !slices.Contains(fmnist.ClassNames[:], c.Truth) {
			t.Errorf("card %d: true label %q is not a class name", i+1, c.Truth)
		}
		sources[c.Src] = true
	}
	if len(sources) != browserPredictions {
		t.Errorf("%d different images among %d cards, want all different", len(sources), browserPredictions)
	}
}

// browserStatusIs is a JavaScript condition: the status line is in state.
func browserStatusIs(state string) string {
	return fmt.Sprintf("document.querySelector('#status-line [data-state]')?.dataset.state === %q", state)
}

// browserButtonJS is a JavaScript expression for the button labelled label.
func browserButtonJS(label string) string {
	return fmt.Sprintf("Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === %q)", label)
}

// browserChartReadyJS is true once ECharts has drawn the loss chart.
const browserChartReadyJS = `(() => {
	const el = document.getElementById('loss-chart');
	return !!(el && window.echarts && echarts.getInstanceByDom(el) && el.querySelector('canvas'));
})()`

// browserDuplicateIDsJS lists the ids that more than one element carries.
const browserDuplicateIDsJS = `(() => {
	const seen = new Map();
	for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
	return Array.from(seen).filter(([, n]) => n > 1).map(([id, n]) => '#' + id + ' ×' + n).join(', ');
})()`

// browserWidestJS lists the elements that stick out past the viewport.
const browserWidestJS = `Array.from(document.querySelectorAll('body *'))
	.filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
	.slice(0, 5)
	.map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + String(el.className).split(' ').join('.') + ' (' + Math.round(el.getBoundingClientRect().right) + ' px)')
	.join(', ')`

// consoleArgs formats the arguments of a console call.
func consoleArgs(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// exceptionText formats an uncaught exception with where it was thrown.
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	text := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		text += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s at %s:%d:%d", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
}

// lockedBuffer collects the server's log while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last n bytes of the log.
func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
