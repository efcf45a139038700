package main

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/ml/data/datatest"
)

// browserReloadBudget is what a reload of the dashboard may transfer: the
// page itself, gzipped; every script and style is content-hashed and
// immutable, so the browser keeps them. (About 5 KB now; the margin is for
// the page growing.)
const browserReloadBudget = 15 << 10

// browserFirstLoadBudget is what a first visit may transfer: mostly the
// trimmed ECharts bundle (about 200 KB gzipped, public/src/echarts.js),
// then htmx, the CSS and the page.
const browserFirstLoadBudget = 250 << 10

// TestBrowserTransferSize measures the bytes on the wire, headers included,
// for a first visit to the dashboard and for a reload, as Chromium counts
// them (encodedDataLength). The first load is mostly ECharts (600 KB, about
// 200 KB gzipped). The event stream never finishes loading, so it is not
// counted.
func TestBrowserTransferSize(t *testing.T) {
	b, origin := startBrowserTest(t, true)
	meter := newTransferMeter()
	if err := chromedp.Listen(b.ctx, meter.record); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}

	b.navigate(t, origin+"/")
	b.waitFor(t, "the loss chart to be drawn", browserStepTimeout, browserChartReadyJS)
	first := meter.settle()
	t.Logf("first load: %d bytes in %d responses\n%s", first.bytes, first.responses, first.detail(origin))

	b.do(t, "reload the page", chromedp.Reload())
	b.waitFor(t, "the loss chart to be drawn after the reload", browserStepTimeout, browserChartReadyJS)
	reload := meter.settle()
	t.Logf("reload: %d bytes in %d responses\n%s", reload.bytes, reload.responses, reload.detail(origin))

	if first.bytes > browserFirstLoadBudget {
		t.Errorf("a first load transferred %d bytes, want at most %d: is ECharts still the full build?", first.bytes, browserFirstLoadBudget)
	}
	if reload.bytes > browserReloadBudget {
		t.Errorf("a reload transferred %d bytes, want at most %d: are the assets still cached (hashed names, immutable)?", reload.bytes, browserReloadBudget)
	}
	if first.bytes <= reload.bytes {
		t.Errorf("the first load (%d bytes) should cost more than a reload (%d bytes): the measurement is broken", first.bytes, reload.bytes)
	}
	b.checkClean(t)
}

// browserPaintSamples is how many loss events the latency test waits for,
// and browserPaintTrainImages the size of its training set.
const (
	browserPaintSamples     = 60
	browserPaintTrainImages = 16384
)

// TestBrowserLossEventToPaint trains while the dashboard watches and
// reports how long the page takes from a loss event's arrival to the chart
// drawn with it (app.js's window.fmnistPaintLatency). The target is a p95
// of at most 50 ms on the 2-core machine; it is a measurement to read, not
// a pass mark, since the figure depends on how busy the machine is.
func TestBrowserLossEventToPaint(t *testing.T) {
	chromium := findChromium(t)
	// Loss events come at the pace of a real run's, not of the other
	// tests' tiny epochs (dozens a second, with an epoch's end among them
	// every half second): a run's epoch yields 20 points, and here an epoch
	// of 16,384 images lasts seconds, as the full set's does.
	source := t.TempDir()
	datatest.WriteDataset(t, source, browserPaintTrainImages, browserTestImages, 5)
	origin := serveForBrowser(t, serveMirror(t, http.FileServer(http.Dir(source))), t.TempDir(), "127.0.0.1:0").origin
	b := newBrowserSession(t, chromium, origin, true)
	b.downloadDataset(t, origin)
	b.do(t, "fill in the training form",
		chromedp.SetValue(chromedp.CSS("#field-epochs"), browserEpochs),
		chromedp.SetValue(chromedp.CSS("#field-batch_size"), "64"),
		chromedp.SetValue(chromedp.CSS("#field-train_limit"), "0"))
	b.click(t, "#start-button")
	b.waitFor(t, fmt.Sprintf("%d loss events drawn", browserPaintSamples), browserTrainingTimeout,
		fmt.Sprintf("(window.fmnistPaintLatency || []).length >= %d", browserPaintSamples))
	if !b.evalBool(t, browserStatusIs("training")) {
		t.Fatal("the run ended before the samples were taken: they were not measured while it trained")
	}
	ms := browserEval[[]float64](t, b, "window.fmnistPaintLatency.slice()")
	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))

	sort.Float64s(ms)
	pct := func(p float64) float64 { return ms[int(math.Ceil(p*float64(len(ms))))-1] }
	t.Logf("loss event to paint while training, %d events: median %.1f ms, p90 %.1f ms, p95 %.1f ms, max %.1f ms",
		len(ms), pct(0.5), pct(0.9), pct(0.95), ms[len(ms)-1])
	if ms[0] <= 0 {
		t.Errorf("a latency of %.1f ms: the hook measures nothing", ms[0])
	}
	b.checkClean(t)
}

// transferMeter sums the bytes of each response that finished loading
// since it was last read. It runs on chromedp's reading goroutine.
type transferMeter struct {
	mu      sync.Mutex
	urls    map[network.RequestID]string
	byURL   map[string]int64
	done    int
	changed time.Time
}

func newTransferMeter() *transferMeter {
	return &transferMeter{urls: map[network.RequestID]string{}, byURL: map[string]int64{}}
}

func (m *transferMeter) record(ev any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		m.urls[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFinished:
		m.byURL[m.urls[ev.RequestID]] += int64(ev.EncodedDataLength)
		m.done++
		m.changed = time.Now()
	}
}

// transfer is what a load cost.
type transfer struct {
	bytes, responses int
	byURL            map[string]int64
}

// settle waits until no response has finished for half a second (late
// requests such as the favicon), then returns and resets the sums.
func (m *transferMeter) settle() transfer {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		quiet := time.Since(m.changed) > 500*time.Millisecond
		m.mu.Unlock()
		if quiet {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	tr := transfer{responses: m.done, byURL: m.byURL}
	for _, n := range m.byURL {
		tr.bytes += int(n)
	}
	m.byURL, m.done = map[string]int64{}, 0
	return tr
}

// detail lists the responses, largest first.
func (tr transfer) detail(origin string) string {
	urls := make([]string, 0, len(tr.byURL))
	for u := range tr.byURL {
		urls = append(urls, u)
	}
	sort.Slice(urls, func(i, j int) bool { return tr.byURL[urls[i]] > tr.byURL[urls[j]] })
	var s strings.Builder
	for _, u := range urls {
		fmt.Fprintf(&s, "  %8d  %s\n", tr.byURL[u], strings.TrimPrefix(u, origin))
	}
	return s.String()
}
