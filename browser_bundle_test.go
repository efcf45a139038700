package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserExportAndImport downloads a finished run's bundle with the
// run page's Export button, deletes the run, and uploads the bundle with
// the runs page's Import form: the new run's page says Imported and shows
// the same config and curve, and the last epoch's confusion matrix. With
// JavaScript on and off.
func TestBrowserExportAndImport(t *testing.T) { browserExportAndImport(t, true) }

func TestBrowserExportAndImportWithoutJavaScript(t *testing.T) { browserExportAndImport(t, false) }

func browserExportAndImport(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin, `{"epochs":1,"train_limit":256,"seed":9}`)

	b.navigate(t, origin+"/runs/1")
	if !b.evalBool(t, "!!document.getElementById('model-actions') && !!document.getElementById('reproduce-form')") {
		t.Fatal("the finished run's page has no Export and Reproduce")
	}
	b.screenshot(t, "1-run-page")
	points := b.eval(t, browserConfigText)

	downloads := t.TempDir()
	ctx, cancel := b.within(browserStepTimeout)
	_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
	cancel()
	if err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	b.click(t, "#export-bundle")
	bundleFile := filepath.Join(downloads, "run-1.fmnist")
	for deadline := time.Now().Add(browserStepTimeout); ; time.Sleep(50 * time.Millisecond) {
		if info, err := os.Stat(bundleFile); err == nil && info.Size() > 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("no run-1.fmnist downloaded; the folder has %v", entries)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, origin+"/api/runs/1", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete run 1: %v %v", resp, err)
	}

	b.navigate(t, origin+"/runs")
	b.do(t, "choose the bundle", chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{bundleFile}))
	b.screenshot(t, "2-import-form")
	b.click(t, "#import-form button[type=submit]")
	b.waitFor(t, "the imported run's page", browserStepTimeout,
		"/^\\/runs\\/\\d+$/.test(location.pathname) && !!document.getElementById('imported-badge')")
	if got := b.eval(t, browserConfigText); got != points {
		t.Errorf("the imported run's config reads %q; the original's %q", got, points)
	}
	if !b.evalBool(t, "!!document.getElementById('confusion-table') && document.getElementById('confusion-epoch').textContent === '1'") {
		t.Error("the imported run's page shows no confusion matrix of its last epoch")
	}
	b.screenshot(t, "3-imported")

	// Reproduce trains the imported run's config and seed again.
	imported := b.eval(t, "location.pathname")
	b.click(t, "#reproduce-form button[type=submit]")
	b.waitFor(t, "the reproduction's page", browserStepTimeout,
		"/^\\/runs\\/\\d+$/.test(location.pathname) && location.pathname !== '"+imported+"'")
	id, err := strconv.ParseInt(strings.TrimPrefix(b.eval(t, "location.pathname"), "/runs/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	browserWaitRunEnded(t, origin, id)
	b.navigate(t, origin+"/runs/"+strconv.FormatInt(id, 10))
	if got := b.eval(t, browserConfigText); got != points {
		t.Errorf("the reproduction's config reads %q; the original's %q", got, points)
	}
	b.screenshot(t, "4-reproduced")

	// A file that is not a bundle: one clear message, no run.
	notes := filepath.Join(t.TempDir(), "notes.fmnist")
	os.WriteFile(notes, []byte("hello"), 0o600)
	b.navigate(t, origin+"/runs")
	b.do(t, "choose a wrong file", chromedp.SetUploadFiles(chromedp.CSS("#bundle-file"), []string{notes}))
	b.click(t, "#import-form button[type=submit]")
	b.waitFor(t, "the refusal", browserStepTimeout, "document.body.textContent.includes('not a .fmnist bundle')")
	b.screenshot(t, "5-refused")
	b.navigate(t, origin+"/runs")
	if n := b.evalInt(t, "document.querySelectorAll('#runs-table tbody tr').length"); n != 2 {
		t.Errorf("the runs page lists %d runs after a refused import; want 2 (imported, reproduced)", n)
	}
}

// browserConfigText is a run page's config panel as one line of text.
const browserConfigText = "document.getElementById('config-panel').textContent.replace(/\\s+/g, ' ').trim()"
