package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/ml/data/datatest"
)

// The states test trains on few images and evaluates on many, so that a
// run spends about as long evaluating each epoch as training it: both
// phases are there for a page that refreshes every 3 s to see.
const (
	statesTrainImages = 1024
	statesTestImages  = 4096
	statesEpochs      = "500"
	statesBatchSize   = "32"
)

// TestBrowserStates follows every state the status line and the progress
// panel tell apart, with JavaScript: a download under way (with its
// percentage), verifying once every byte is in, training with the time so
// far and left, an epoch's evaluation, the running config, two accuracies
// that each say where they come from, and a download that fails. Every
// state is photographed at 1440 and 375 px.
func TestBrowserStates(t *testing.T) { browserStates(t, true) }

// TestBrowserStatesWithoutJavaScript is the same on the page that refreshes
// itself every 3 s, which also says that the refresh resets the form.
func TestBrowserStatesWithoutJavaScript(t *testing.T) { browserStates(t, false) }

func browserStates(t *testing.T, javaScript bool) {
	chromium := findChromium(t)
	files := datatest.Files(statesTrainImages, statesTestImages, 7)
	mirror := newGatedMirror(files, datatest.TrainImagesFile)
	origin := startBrowserServerWith(t, mirror)
	b := newBrowserSession(t, chromium, origin, javaScript)
	b.do(t, "emulate a 1440 px screen", chromedp.EmulateViewport(browserWideWidth, 900))

	b.navigate(t, origin+"/")
	if got := b.eval(t, "document.title"); got != "Dashboard · Fashion-MNIST Trainer" {
		t.Errorf("idle tab title %q", got)
	}
	if javaScript {
		// Every status line the stream brings, however briefly it shows.
		b.eval(t, `(() => {
			window.seenStatus = [];
			window.progressEvents = 0;
			document.body.addEventListener('htmx:sseBeforeMessage', e => {
				if (e.target.id === 'status-line') window.seenStatus.push(e.detail.data);
				if (e.target.id === 'progress-panel') window.progressEvents++;
			});
			return '';
		})()`)
	}

	// Downloading: the mirror sends half of the first file, then waits.
	// (The sizes of the files after it are not known yet: the percentage is
	// the file's.)
	b.clickButton(t, "Download & Prepare Dataset")
	b.holdWhen(t, "the status line to show the download's percentage", browserDownloadTimeout,
		`/Downloading dataset\s*train-images-idx3-ubyte.gz 50%/.test(document.getElementById('status-line').textContent)`)
	b.waitFor(t, "the progress and dataset panels to show the download", browserStepTimeout,
		`document.getElementById('progress-dataset')?.textContent === 'Downloading the dataset: train-images-idx3-ubyte.gz 50%' && `+
			`document.getElementById('dataset-panel').textContent.includes('50% of this file')`)
	if got := b.eval(t, "document.title"); !strings.HasPrefix(got, "Downloading dataset") {
		t.Errorf("tab title while downloading %q, want it to say so", got)
	}
	b.stageAt(t, "1-downloading")
	mirror.release()
	b.resume(t)

	b.waitFor(t, "Start to be enabled after the download", browserDownloadTimeout,
		"!document.getElementById('start-button').disabled")
	if javaScript {
		// Verifying lasts well under a second with the test's small files:
		// the stream shows it, a screenshot could not.
		seen := b.eval(t, "window.seenStatus.join('\\n')")
		if !strings.Contains(seen, "Verifying dataset") {
			t.Errorf("the status line never said %q; it said:\n%s", "Verifying dataset", browserStripTags(seen))
		}
		if i, j := strings.Index(seen, "Verifying dataset"), strings.Index(seen, "Ready to train"); i < 0 || j < i {
			t.Errorf("verifying (at %d) does not come before ready (at %d)", i, j)
		}
	}

	// Training: the config is there for every viewer; this page was
	// loaded before the run, with the form's defaults.
	b.do(t, "fill in the training form",
		chromedp.SetValue(chromedp.CSS("#field-epochs"), statesEpochs),
		chromedp.SetValue(chromedp.CSS("#field-batch_size"), statesBatchSize),
		chromedp.SetValue(chromedp.CSS("#field-train_limit"), strconv.Itoa(statesTrainImages)),
	)
	b.click(t, "#start-button")
	b.waitFor(t, "the status line to say training", browserStepTimeout, browserStatusIs("training"))
	wantConfig := fmt.Sprintf("Run 1 · %s epochs · batch %s · lr 0.001 · %s images", statesEpochs, statesBatchSize, browserCount(statesTrainImages))
	b.waitFor(t, "the running config", browserStepTimeout,
		fmt.Sprintf("document.getElementById('run-config')?.textContent === %q", wantConfig))

	// Time so far and left, and the tab's title, while a batch trains.
	titleJS := fmt.Sprintf(`/^\d+%% · Epoch \d+\/%s · Fashion-MNIST Trainer$/.test(document.title)`, statesEpochs)
	b.holdWhen(t, "the tab title to show the progress", browserTrainingTimeout, titleJS+
		" && !!document.getElementById('elapsed') && !!document.getElementById('remaining')")
	elapsed := regexp.MustCompile(`^\d+s$|^\d+m \d\ds$`)
	if got := b.eval(t, "document.getElementById('elapsed').textContent.trim()"); !elapsed.MatchString(got) {
		t.Errorf("elapsed time %q", got)
	}
	if got := b.eval(t, "document.getElementById('remaining').textContent.trim()"); !regexp.MustCompile(`^≈ (\d+s|\d+m \d\ds|\d+h \d\dm)$`).MatchString(got) {
		t.Errorf("time left %q", got)
	}
	b.stageAt(t, "2-training")

	// The form: with JavaScript what is typed stays while events arrive;
	// without, the page says that its refresh resets it.
	if javaScript {
		b.do(t, "type into the form", chromedp.SetValue(chromedp.CSS("#field-epochs"), "7"))
		before := b.evalInt(t, "window.progressEvents")
		b.waitFor(t, "more progress events", browserTrainingTimeout, fmt.Sprintf("window.progressEvents >= %d", before+10))
		if got := b.eval(t, "document.getElementById('field-epochs').value"); got != "7" {
			t.Errorf("the epochs field holds %q after live updates, want what was typed, 7", got)
		}
		if b.evalBool(t, "!!document.getElementById('refresh-notice')") {
			t.Error("with JavaScript the page says that the form resets")
		}
	} else if got := b.eval(t, "document.getElementById('refresh-notice')?.innerText || ''"); !strings.Contains(got, "reset") ||
		!b.evalBool(t, "document.getElementById('refresh-notice').getBoundingClientRect().height > 0") {
		t.Errorf("without JavaScript the page does not say, visibly, that the form resets: %q", got)
	}
	b.resume(t)

	// An epoch's evaluation.
	b.holdWhen(t, "the status line and the progress panel to show an evaluation", browserTrainingTimeout, fmt.Sprintf(
		"document.getElementById('evaluating')?.textContent.includes('Evaluating on %s test images…') && "+
			"document.querySelector('#status-line [data-state]').textContent.trim() === 'Evaluating' && "+
			`/^Evaluating · Epoch \d+\/%s · /.test(document.title)`, browserCount(statesTestImages), statesEpochs))
	b.stageAt(t, "3-evaluating")
	b.checkAccessible(t, "the dashboard during training")
	b.resume(t)

	// Two accuracies, each saying where it comes from.
	b.waitFor(t, "an epoch's accuracy", browserTrainingTimeout, "!!document.getElementById('progress-accuracy-source')")
	if !javaScript {
		b.waitForLoad(t, "the next automatic refresh")
	}
	b.click(t, "#stop-button")
	b.waitFor(t, "the status line to say stopped", browserTrainingTimeout, browserStatusIs("stopped"))
	b.waitFor(t, "Get Predictions to be enabled", browserStepTimeout, "!("+browserButtonJS("Get Predictions")+").disabled")
	b.clickButton(t, "Get Predictions")
	b.checkPredictions(t)
	if got := b.eval(t, "document.getElementById('progress-accuracy-source').textContent"); !regexp.MustCompile(`^epoch \d+ evaluation$`).MatchString(got) {
		t.Errorf("the progress panel's accuracy says it comes from %q", got)
	}
	if got := b.eval(t, "document.getElementById('test-accuracy-source').textContent"); !regexp.MustCompile(`^· run 1, checkpoint (at epoch \d+, batch \d+|after epoch \d+)$`).MatchString(got) {
		t.Errorf("the predictions' accuracy says it comes from %q", got)
	}
	if got := b.eval(t, "document.title"); got != "Dashboard · Fashion-MNIST Trainer" {
		t.Errorf("tab title after the run %q", got)
	}
	b.stageAt(t, "4-accuracies")
	b.checkAccessible(t, "the dashboard with predictions")
	b.checkClean(t)

	browserFailedDownload(t, chromium, javaScript)
}

// browserFailedDownload downloads a dataset whose last file does not match
// its checksum: the status line and the progress panel say that the
// download failed, and why.
func browserFailedDownload(t *testing.T, chromium string, javaScript bool) {
	files := datatest.Files(statesTrainImages, statesTestImages, 7)
	files[datatest.TestLabelsFile] = append([]byte(nil), files[datatest.TestLabelsFile]...)
	files[datatest.TestLabelsFile][20] ^= 0xff
	origin := startBrowserServerWith(t, newGatedMirror(files, ""))
	b := newBrowserSession(t, chromium, origin, javaScript)
	b.do(t, "emulate a 1440 px screen", chromedp.EmulateViewport(browserWideWidth, 900))
	b.navigate(t, origin+"/")
	b.clickButton(t, "Download & Prepare Dataset")
	b.waitFor(t, "the status line to say the download failed", browserDownloadTimeout, browserStatusIs("failed"))
	b.waitFor(t, "the reason in the progress panel", browserStepTimeout,
		"document.getElementById('progress-dataset')?.textContent.includes('The dataset download failed: ')")
	status := strings.Join(strings.Fields(b.eval(t, "document.getElementById('status-line').textContent")), " ")
	if !strings.HasPrefix(status, "Download failed ") || !strings.Contains(status, datatest.TestLabelsFile) {
		t.Errorf("status line %q, want the failure and the file it is about", status)
	}
	b.stageAt(t, "5-download-failed")
	b.checkAccessible(t, "the dashboard after a failed download")
	b.checkClean(t)
}

// holdWhen waits until condition holds. Without JavaScript it loads the
// page again and again (the page's own 3-s refresh would sample a phase
// that lasts a fraction of a second too rarely), and on a page where
// condition holds it stops the automatic refresh (window.stop cancels a
// pending meta refresh), so that the screenshots and checks that follow see
// this one page; resume lets the page refresh itself again.
func (b *browserSession) holdWhen(t *testing.T, what string, timeout time.Duration, condition string) {
	t.Helper()
	if !b.noScripts {
		b.waitFor(t, what, timeout, condition)
		return
	}
	// Only a page loaded whole: stopping one still loading would cut it short.
	condition = "document.readyState === 'complete' && !!(" + condition + ")"
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := b.within(2 * time.Second)
		held, err := chromedp.Run(ctx, chromedp.Evaluate[bool](condition+" && (window.stop(), "+condition+")"))
		cancel()
		if err == nil && held {
			return
		}
		if time.Now().After(deadline) {
			b.failureScreenshot(t)
			t.Fatalf("waited %v for a page that stays on %s (last error: %v)", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
		// A load cut short by the page's own refresh is tried again next time.
		_, _ = b.navigateOnce(b.origin + "/")
	}
}

// resume ends holdWhen: without JavaScript the page is loaded again, and
// refreshes itself while something runs.
func (b *browserSession) resume(t *testing.T) {
	t.Helper()
	if b.noScripts {
		b.navigate(t, b.origin+"/")
	}
}

// stageAt is stage at 1440 and at 375 px, named NAME-1440 and NAME-375; the
// tab is left at 1440 px.
func (b *browserSession) stageAt(t *testing.T, name string) {
	t.Helper()
	b.atWidths(t, name, b.stage)
}

// screenshotsAt saves screenshots at 1440 and 375 px of a page that is not
// the dashboard, checking that the phone's page does not scroll sideways.
func (b *browserSession) screenshotsAt(t *testing.T, name string) {
	t.Helper()
	b.atWidths(t, name, b.screenshot)
}

// atWidths runs shoot at 1440 px and on a 375 px phone, where it checks
// that the page does not scroll sideways (wide tables scroll in their
// boxes); the tab is left at 1440 px.
func (b *browserSession) atWidths(t *testing.T, name string, shoot func(*testing.T, string)) {
	t.Helper()
	shoot(t, name+"-1440")
	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	shoot(t, name+"-375")
	b.checkNoHorizontalScroll(t)
	b.do(t, "emulate a 1440 px screen", chromedp.EmulateViewport(browserWideWidth, 900))
}

// browserStripTags reads HTML fragments as their text, for messages.
func browserStripTags(s string) string {
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, " ")), " ")
}

// gatedMirror serves dataset files from memory. The first request for the
// gated file gets half of it, then waits until release: a download that
// stands still at a known percentage.
type gatedMirror struct {
	files    map[string][]byte
	gated    string
	once     sync.Once
	released chan struct{}
	mu       sync.Mutex
	served   bool
}

func newGatedMirror(files map[string][]byte, gated string) *gatedMirror {
	return &gatedMirror{files: files, gated: gated, released: make(chan struct{})}
}

func (m *gatedMirror) release() { m.once.Do(func() { close(m.released) }) }

func (m *gatedMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	body, ok := m.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	gate := name == m.gated && !m.served
	m.served = m.served || gate
	m.mu.Unlock()
	if !gate {
		http.ServeContent(w, r, name, time.Time{}, strings.NewReader(string(body)))
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	// One more byte after a pause: the downloader reports its progress at
	// most every 100 ms, on a read, so this read reports the half.
	half := len(body) / 2
	_, _ = w.Write(body[:half])
	w.(http.Flusher).Flush()
	time.Sleep(300 * time.Millisecond)
	half++
	_, _ = w.Write(body[half-1 : half])
	w.(http.Flusher).Flush()
	select {
	case <-m.released:
		_, _ = w.Write(body[half:])
	case <-r.Context().Done():
	}
}
