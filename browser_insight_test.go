package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fmnist/trainer/ml/userimage/userimagetest"
)

// TestBrowserInsideAndClassify trains one small epoch, opens the run's
// "Inside the network" page from the run page (filters, both layers'
// activation maps, the saliency overlay), picks another test image with its
// form, then classifies an uploaded picture from the dashboard's link and
// has a text file refused. With JavaScript on and off, at 1440 and 375 px.
func TestBrowserInsideAndClassify(t *testing.T) { browserInsideAndClassify(t, true) }

func TestBrowserInsideAndClassifyWithoutJavaScript(t *testing.T) {
	browserInsideAndClassify(t, false)
}

// browserPicturesLoaded is true once every picture of the page has loaded
// and none is broken.
const browserPicturesLoaded = `[...document.querySelectorAll('main img')].every(i => i.complete && i.naturalWidth > 0)`

func browserInsideAndClassify(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	browserTrainRuns(t, origin, `{"epochs":1,"train_limit":256,"batch_size":32}`)

	b.navigate(t, origin+"/runs/1")
	// The run page's link to the inside page fits a phone. (The page
	// itself is wider there than the phone: its confusion table is.)
	b.screenshotsWhereFits(t, "0-run-page", "#inside-link")
	b.click(t, "#inside-link")
	b.waitFor(t, "the inside page's pictures", browserStepTimeout,
		"location.pathname === '/runs/1/inside' && document.querySelectorAll('main img').length === 5 && "+browserPicturesLoaded)
	if w := b.evalInt(t, "document.getElementById('filters-image').naturalWidth"); w != 8*24+7*2 {
		t.Errorf("the filter grid is %d px wide, want 32 filters 8 to a row (%d)", w, 8*24+7*2)
	}
	b.browserShotAt(t, "1-inside")
	b.checkAccessible(t, "the inside-the-network page")

	b.do(t, "pick test image 5", chromedp.SetValue(chromedp.CSS("#inside-image"), "5"))
	b.click(t, "#inside-form button[type=submit]")
	b.waitFor(t, "the page of test image 5", browserStepTimeout,
		"new URLSearchParams(location.search).get('image') === '5' && document.getElementById('saliency-image').src.includes('image=5') && "+browserPicturesLoaded)
	if n := b.evalInt(t, "document.querySelectorAll('#inside-probabilities tr').length"); n != 10 {
		t.Errorf("%d class probabilities, want 10", n)
	}
	b.browserShotAt(t, "2-inside-image-5")

	b.navigate(t, origin+"/")
	b.screenshotsWhereFits(t, "3-dashboard", "#classify-link")
	b.click(t, "#classify-link")
	b.waitFor(t, "the classify page", browserStepTimeout, "location.pathname === '/classify' && !!document.getElementById('classify-file')")
	dir := t.TempDir()
	photo := filepath.Join(dir, "trainer.jpg.png") // the name does not matter
	if err := os.WriteFile(photo, browserPhoto(t), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(t, "choose a picture", chromedp.SetUploadFiles(chromedp.CSS("#classify-file"), []string{photo}))
	b.click(t, "#classify-form button[type=submit]")
	b.waitFor(t, "the classification", browserStepTimeout,
		"!!document.getElementById('classify-result') && document.getElementById('classify-input').naturalWidth === 168")
	percents := b.eval(t, `[...document.querySelectorAll('#classify-probabilities td:last-child')].map(td => td.textContent).join(' ')`)
	if fields := strings.Fields(percents); len(fields) != 10 {
		t.Errorf("the result lists %q, want 10 percentages", percents)
	}
	b.browserShotAt(t, "4-classified")
	b.checkAccessible(t, "a classified upload")
	b.checkClean(t) // before the refusal, whose 422 the console reports

	notes := filepath.Join(dir, "shoe.png")
	if err := os.WriteFile(notes, []byte("this is a text file, not a shoe"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(t, "choose a text file", chromedp.SetUploadFiles(chromedp.CSS("#classify-file"), []string{notes}))
	b.click(t, "#classify-form button[type=submit]")
	b.waitFor(t, "the refusal", browserStepTimeout,
		"(document.getElementById('classify-error')?.textContent || '').includes('not a PNG or JPEG') && !document.getElementById('classify-result')")
	b.browserShotAt(t, "5-refused")
}

// screenshotsWhereFits saves the page at 1440 and at 375 px (NAME-1440,
// NAME-375), where neither the page nor the element fits selects may
// stick out of the phone's screen.
func (b *browserSession) screenshotsWhereFits(t *testing.T, name, fits string) {
	t.Helper()
	b.atWidths(t, name, func(t *testing.T, shot string) {
		b.screenshot(t, shot)
		right := b.evalInt(t, "Math.ceil(document.querySelector('"+fits+"').getBoundingClientRect().right)")
		if strings.HasSuffix(shot, "-375") && right > browserPhoneWidth {
			t.Errorf("at %s, %s reaches %d px on a %d px screen", name, fits, right, browserPhoneWidth)
		}
	})
}

// browserPhoto is a PNG of a dark sneaker-like shape on a white floor, as
// a phone photo of a product might be.
func browserPhoto(t *testing.T) []byte {
	return userimagetest.PNG(t, userimagetest.Photo(300, 200, 245, 35, func(x, y int) bool {
		return y >= 80 && y < 150 && x >= 40 && x < 260 && (y > 115 || x < 140+(y-80)*2)
	}))
}
