package views

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/public"
)

// sseFeed is a fake /events endpoint: the test pushes events, the page gets them.
type sseFeed struct {
	events    chan string
	connected chan string // receives the query of each connection
	nextID    int
}

func newSSEFeed() *sseFeed {
	return &sseFeed{events: make(chan string, 256), connected: make(chan string, 4)}
}

func (f *sseFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	flusher := w.(http.Flusher)
	flusher.Flush()
	f.connected <- r.URL.RawQuery
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-f.events:
			if _, err := fmt.Fprint(w, ev); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// push queues one SSE message; fragment data is split into data: lines as the
// SSE format requires.
func (f *sseFeed) push(t *testing.T, event string, data string) {
	t.Helper()
	f.nextID++
	var b strings.Builder
	fmt.Fprintf(&b, "id: %d\nevent: %s\n", f.nextID, event)
	for _, line := range strings.Split(data, "\n") {
		fmt.Fprintf(&b, "data: %s\n", line)
	}
	b.WriteString("\n")
	f.events <- b.String()
}

func (f *sseFeed) pushComponent(t *testing.T, event string, c templ.Component) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	f.push(t, event, buf.String())
}

func findBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	const msg = "no Chromium found (apt-get install chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestBrowserLiveDashboard loads the dashboard in headless Chromium under the
// production Content-Security-Policy and feeds it the SSE events the server
// sends, checking what a viewer would see change.
func TestBrowserLiveDashboard(t *testing.T) {
	browser := findBrowser(t)
	feed := newSSEFeed()
	page := samplePage()
	page.Chart = ChartView{Run: 7, MaxPoints: 5, Points: []LossPoint{{Epoch: 0.1, Loss: 2.2}, {Epoch: 0.2, Loss: 1.9}}}

	mux := http.NewServeMux()
	mux.Handle("GET /public/", http.StripPrefix("/public", public.Handler()))
	mux.Handle("GET /events", feed)
	mux.Handle("GET /{$}", templ.Handler(Page(page)))
	mux.HandleFunc("POST /predictions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "model file unreadable", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /predictions/image/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		if err := png.Encode(w, img); err != nil {
			t.Errorf("encode image: %v", err)
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:")
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start browser: %v", err)
	}

	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "status of 500") || strings.Contains(m.Text, "Error Code 500") {
				continue // the failed request provoked below
			}
			if m.Type == "error" || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	select {
	case q := <-feed.connected:
		if q != "after=42" {
			t.Errorf("the page subscribed with %q, want after=42", q)
		}
	case <-ctx.Done():
		t.Fatal("the page never opened the event stream")
	}

	waitFor := func(what, expr string) {
		t.Helper()
		var last string
		for {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](expr))
			if err == nil && ok {
				return
			}
			if err != nil {
				last = err.Error()
			}
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting until %s (%s) %s", what, expr, last)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	const chartData = `echarts.getInstanceByDom(document.getElementById('loss-chart')).getOption().series[0].data`

	waitFor("the chart shows the embedded history", chartData+`.length === 2`)

	for i := 3; i <= 8; i++ {
		feed.push(t, string(fmnist.EventLoss), fmt.Sprintf(`{"run":7,"epoch":0.%d,"loss":1.%d}`, i, 9-i))
	}
	waitFor("the chart keeps the newest max-points points",
		chartData+`.length === 5 && `+chartData+`[4][0] === 0.8 && `+chartData+`[0][0] === 0.4`)

	feed.push(t, string(fmnist.EventLoss), `{"run":8,"epoch":0.01,"loss":2.3}`)
	waitFor("a new run clears the curve", chartData+`.length === 1 && `+chartData+`[0][1] === 2.3`)

	feed.pushComponent(t, string(fmnist.EventStatus), StatusEvent(StatusView{State: "finished", Message: "3 epochs done"}, ButtonsView{CanStart: true}))
	waitFor("the status line and the buttons follow the status event",
		`document.getElementById('status-line').textContent.includes('3 epochs done') &&
		 !document.getElementById('start-button').disabled && document.getElementById('stop-button').disabled &&
		 document.querySelectorAll('#control-buttons').length === 1`)

	for i := 0; i < MaxLogEntries+10; i++ {
		feed.pushComponent(t, string(fmnist.EventLog), LogEntry(LogView{Time: time.Now(), Level: "warn", Message: fmt.Sprintf("entry %d", i)}))
	}
	waitFor("the log keeps the newest entries, scrolled to the bottom",
		fmt.Sprintf(`(function(l, box){ var b = box.getBoundingClientRect(), last = l.lastElementChild.getBoundingClientRect();
			return l.children.length === %d && l.lastElementChild.textContent.includes('entry %d') &&
			box.scrollHeight > box.clientHeight && last.bottom <= b.bottom + 1 && last.top >= b.top - 1
		})(document.getElementById('log-list'), document.getElementById('log-scroll'))`, MaxLogEntries, MaxLogEntries+9))

	// A viewer from before a restart is sent the whole list; lines that
	// follow go to the new list.
	feed.pushComponent(t, string(fmnist.EventLogs), LogEntries([]LogView{
		{Time: time.Now(), Level: "info", Message: "kept 1"}, {Time: time.Now(), Level: "warn", Message: "kept 2"},
	}))
	waitFor("the logs event replaces the list",
		`document.querySelectorAll('#log-list > li').length === 2 && document.getElementById('log-list').lastElementChild.textContent.includes('kept 2')`)
	feed.pushComponent(t, string(fmnist.EventLog), LogEntry(LogView{Time: time.Now(), Level: "info", Message: "appended"}))
	waitFor("a log line after it is appended to the new list",
		`document.querySelectorAll('#log-list').length === 1 && document.querySelectorAll('#log-list > li').length === 3 &&
		 document.getElementById('log-list').lastElementChild.textContent.includes('appended')`)

	feed.pushComponent(t, string(fmnist.EventProgress), ProgressPanel(ProgressView{Epoch: 3, Epochs: 3, Batch: 9, Batches: 10, Percent: 90, Status: "training"}))
	feed.pushComponent(t, string(fmnist.EventDataset), DatasetPanel(DatasetView{State: DatasetFailed, Error: "disk full"}, ""))
	waitFor("progress and dataset panels are replaced",
		`document.getElementById('progress-panel').textContent.includes('Epoch 3 of 3') &&
		 document.getElementById('dataset-panel').textContent.includes('disk full') &&
		 document.querySelectorAll('#progress-panel').length === 1`)

	// A failed request is reported, not silently dropped.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector('#predictions-panel button').click() || true`)); err != nil {
		t.Fatalf("click Get Predictions: %v", err)
	}
	waitFor("the failed request is reported",
		`(function(e){ return !e.classList.contains('hidden') && e.textContent.includes('500') })(document.getElementById('request-error'))`)

	// The tooltip builds its own DOM; it must do so without inline styles the CSP blocks.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](
		`echarts.getInstanceByDom(document.getElementById('loss-chart')).dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0}) || true`)); err != nil {
		t.Fatalf("show tooltip: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
