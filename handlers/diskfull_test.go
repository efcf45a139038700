package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// TestLowDiskSpaceRefusesToStart sets the free space a run needs above what
// the disk has: the app warns at start, and starting a run is refused with
// 507 Insufficient Storage naming the free and the needed space, through
// the API, the plain form and htmx alike.
func TestLowDiskSpaceRefusesToStart(t *testing.T) {
	a := startApp(t, appConfig{prepared: true, minFreeSpace: 1 << 60})
	if log := a.logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "free space") {
		t.Errorf("the start should warn about the low free space; log:\n%s", log)
	}
	var refusal errorJSON
	r := a.postJSON("/api/training", `{"epochs":1}`, &refusal)
	msg := refusal.Error.Message
	if r.Status != http.StatusInsufficientStorage || refusal.Error.Code != fmnist.ESTORAGE ||
		!strings.Contains(msg, "free") || !strings.Contains(msg, "needed") || !strings.Contains(msg, "1.2 EB") {
		t.Errorf("POST /api/training below the free-space threshold: status %d, %s; want 507 %s naming free and needed space",
			r.Status, r.Body, fmnist.ESTORAGE)
	}
	b := a.newBrowser()
	form := url.Values{"epochs": {"1"}}
	wantStatus(t, "POST /training below the threshold", b.post("/training", form, false), http.StatusInsufficientStorage, "1.2 EB")
	wantStatus(t, "htmx POST /training below the threshold", b.post("/training", form, true), http.StatusInsufficientStorage,
		`id="training-controls"`, "1.2 EB")
	wantNothingStarted(t, a)
}
