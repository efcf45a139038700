package main

// Accessibility: axe-core (npm, pinned in package.json) audits each page the
// browser tests visit. Its script is evaluated over CDP, which the page's
// Content-Security-Policy (script-src 'self') does not govern, so the page
// needs no test hook.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// browserAxePath is axe-core's browser bundle after `npm ci`, relative to
// the repo root (the directory of this package's tests).
var browserAxePath = filepath.Join("node_modules", "axe-core", "axe.min.js")

// browserAxeViolation is the part of an axe result a failure message needs.
type browserAxeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// TestBrowserErrorPageIsAccessible audits a page the server answers with
// 404; the console's report of that status is expected, so the test does
// not ask for a clean console.
func TestBrowserErrorPageIsAccessible(t *testing.T) {
	b, origin := startBrowserTest(t, true)
	resp, err := b.navigateOnce(origin + "/runs/999")
	if err != nil {
		t.Fatalf("open /runs/999: %v", err)
	}
	if resp.Status != http.StatusNotFound {
		t.Fatalf("open /runs/999: status %d, want 404", resp.Status)
	}
	b.screenshot(t, "not-found")
	b.checkAccessible(t, "the not-found page")
}

// loadAxe reads axe-core's script; without it the test is skipped, or
// fails when CI=true.
func loadAxe(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(browserAxePath)
	if err == nil {
		return string(src)
	}
	msg := fmt.Sprintf("no %s (run npm ci): %v", browserAxePath, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; accessibility audit skipped")
	return ""
}

// checkAccessible runs axe-core on the page as it is now and fails on every
// serious or critical violation; minor and moderate ones are logged.
func (b *browserSession) checkAccessible(t *testing.T, page string) {
	t.Helper()
	if b.axe == "" {
		b.axe = loadAxe(t)
	}
	ctx, cancel := b.within(2 * browserStepTimeout)
	defer cancel()
	if b.noScripts {
		// axe-core waits on timers, which do not fire while the tab runs no
		// scripts. Turning them on does not run the page's own scripts,
		// which were skipped when it loaded; a reload would.
		b.setScriptsDisabled(t, false)
		defer b.setScriptsDisabled(t, true)
	}
	// The script defines window.axe once per document; re-evaluating it
	// after a navigation is what a fresh page needs.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](b.axe+";undefined")); err != nil {
		t.Fatalf("load axe-core into %s: %v", page, err)
	}
	options := `{resultTypes: ['violations']}`
	if b.noScripts {
		// Without JavaScript a page that shows something running reloads
		// itself every 3 s (<meta http-equiv="refresh">): that is how it
		// stays live, by design, and axe's meta-refresh rule (WCAG 2.2.1)
		// forbids exactly that. With JavaScript the page never reloads.
		options = `{resultTypes: ['violations'], rules: {'meta-refresh': {enabled: false}}}`
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, `+options+`).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core on %s: %v", page, err)
	}
	var violations []browserAxeViolation
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("read axe-core's result on %s: %v", page, err)
	}
	for _, v := range violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target...))
		}
		msg := fmt.Sprintf("axe on %s: %s (%s) %s, on %d node(s): %s", page, v.ID, v.Impact, v.Help, len(v.Nodes), strings.Join(nodes, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	t.Logf("axe on %s: %d violation(s) of any impact", page, len(violations))
}

func (b *browserSession) setScriptsDisabled(t *testing.T, disabled bool) {
	t.Helper()
	ctx, cancel := b.within(browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled}); err != nil {
		t.Fatalf("set script execution disabled to %v: %v", disabled, err)
	}
}
