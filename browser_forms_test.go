package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFormErrors submits the training form with three bad fields:
// each is marked beside itself, and the first takes the focus.
func TestBrowserFormErrors(t *testing.T) { browserFormErrors(t, true) }

// TestBrowserFormErrorsWithoutJavaScript is the same through the plain
// form: the answer is the page at its own address (a reload does not post
// again), the values in its query, and autofocus puts the cursor in the
// first bad field.
func TestBrowserFormErrorsWithoutJavaScript(t *testing.T) { browserFormErrors(t, false) }

func browserFormErrors(t *testing.T, javaScript bool) {
	b, origin := startBrowserTest(t, javaScript)
	b.downloadDataset(t, origin)
	b.do(t, "type three bad values",
		chromedp.SetValue(chromedp.CSS("#field-epochs"), "0"),
		chromedp.SetValue(chromedp.CSS("#field-lr"), "fast"),
		chromedp.SetValue(chromedp.CSS("#field-train_limit"), "-5"),
	)
	b.click(t, "#start-button")
	b.waitFor(t, "the three fields to be marked", browserStepTimeout,
		"document.querySelectorAll('#training-form [aria-invalid=true]').length === 3")
	b.stage(t, "1-errors")

	for field, want := range map[string]string{
		"epochs": "Must be between 1 and 1000.", "lr": "Must be a number such as 0.001.",
		"train_limit": "Must be 0 (all) or a positive number of images.",
	} {
		got := b.eval(t, `(() => {
			const input = document.getElementById('field-`+field+`');
			const note = input && document.getElementById(input.getAttribute('aria-describedby'));
			return note ? note.textContent : '';
		})()`)
		if got != want {
			t.Errorf("the message for %s is %q, want %q", field, got, want)
		}
	}
	if got := b.eval(t, "document.activeElement.id"); got != "field-epochs" {
		t.Errorf("the focus is on %q, want the first bad field, field-epochs", got)
	}
	if got := b.eval(t, "document.getElementById('training-message').textContent"); got != "Please correct the 3 highlighted fields." {
		t.Errorf("the form's message is %q", got)
	}
	path := b.eval(t, "location.pathname + location.search")
	if javaScript && path != "/" {
		t.Errorf("with htmx the page moved to %q", path)
	}
	if !javaScript && (!strings.HasPrefix(path, "/?") || !strings.Contains(path, "lr=fast")) {
		t.Errorf("the page is at %q, want / with the typed values in its query", path)
	}

	b.do(t, "emulate a 375 px phone", chromedp.EmulateViewport(browserPhoneWidth, 812, chromedp.EmulateMobile))
	b.stage(t, "2-errors-phone")
	b.checkNoHorizontalScroll(t)
	b.checkAccessible(t, "the training form with errors")
	if !javaScript {
		// With htmx the 422 answer is logged by the browser as a failed
		// load, which is what it is.
		b.checkClean(t)
	}
}
