package handlers_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/public"
)

// isFragment reports whether body is a piece of HTML rather than a page.
func isFragment(body string) bool {
	return !strings.Contains(body, "<html") && !strings.Contains(body, "<!doctype")
}

func isPage(body string) bool {
	return strings.Contains(body, "<html") && strings.Contains(body, `src="`+public.URL("htmx.min.js")+`"`)
}

// buttonEnabled finds the button with id in body and reports whether it is
// enabled.
func buttonEnabled(body, id string) (enabled, found bool) {
	tag := regexp.MustCompile(`<button[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if tag == "" {
		return false, false
	}
	return !regexp.MustCompile(`\sdisabled[\s=>]`).MatchString(tag), true
}

func wantStatus(t *testing.T, what string, r response, code int, contains ...string) {
	t.Helper()
	if r.Status != code {
		t.Errorf("%s: status %d, want %d; body:\n%s", what, r.Status, code, r.Body)
		return
	}
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s: body does not contain %q:\n%s", what, s, r.Body)
		}
	}
}

// wantNothingStarted checks that no run exists and nothing is busy.
func wantNothingStarted(t *testing.T, a *testApp) {
	t.Helper()
	st := a.status()
	if st.Training.Status != string(fmnist.StatusIdle) || st.Training.RunID != 0 {
		t.Errorf("training should not have started; status: %+v", st.Training)
	}
	var runs struct {
		Runs []runJSON `json:"runs"`
	}
	a.getJSON("/api/runs", &runs)
	if len(runs.Runs) != 0 {
		t.Errorf("no run should be recorded; runs: %+v", runs.Runs)
	}
}

func TestPageRendersWithCSRFTokenAndResumePoint(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	r := a.get("/")
	wantStatus(t, "GET /", r, http.StatusOK, `id="dataset-panel"`, `id="training-controls"`, `id="predictions-panel"`,
		"Ready for training", `name="epochs"`, `name="batch_size"`, `name="lr"`, `name="train_limit"`)
	if !isPage(r.Body) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET / is not an HTML page: %s\n%s", r.Header.Get("Content-Type"), r.Body)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "_csrf" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value == "" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("GET / should set an HttpOnly, SameSite=Strict _csrf cookie; Set-Cookie: %q", r.Header.Values("Set-Cookie"))
	}
	if !strings.Contains(r.Body, `name="_csrf" value="`+cookie.Value+`"`) {
		t.Errorf("the forms do not carry the cookie's token %q", cookie.Value)
	}
	m := regexp.MustCompile(`sse-connect="/events\?after=(\d+)"`).FindStringSubmatch(r.Body)
	if m == nil || m[1] != itoa(int64(a.status().LastEventID)) {
		t.Errorf("the page should resume the event stream after the last event id %d; found %v", a.status().LastEventID, m)
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := startApp(t, appConfig{})
	for _, path := range []string{"/", "/healthz", "/api/status", "/public/htmx.min.js", "/no/such/page"} {
		r := a.get(path)
		csp := r.Header.Get("Content-Security-Policy")
		scriptSrc := ""
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
				scriptSrc = d
			}
		}
		if scriptSrc != "script-src 'self'" {
			t.Errorf("GET %s: CSP %q should allow scripts from 'self' only", path, csp)
		}
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q should forbid framing", path, csp)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", path, got)
		}
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options = %q, want DENY", path, got)
		}
	}
}

func TestHealthzAndStaticFiles(t *testing.T) {
	a := startApp(t, appConfig{})
	wantStatus(t, "GET /healthz", a.get("/healthz"), http.StatusOK, `"status":"ok"`)

	r := a.get("/public/htmx.min.js")
	wantStatus(t, "GET /public/htmx.min.js", r, http.StatusOK, "htmx")
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("htmx.min.js is served as %q, want JavaScript", ct)
	}
	if len(r.Body) < 10_000 {
		t.Errorf("htmx.min.js has %d bytes; it should be the real library", len(r.Body))
	}
	wantStatus(t, "GET /public/no-such.js", a.get("/public/no-such.js"), http.StatusNotFound)
}

func TestUnknownPathIsNotFoundPageInLayout(t *testing.T) {
	a := startApp(t, appConfig{})
	r := a.get("/no/such/page")
	wantStatus(t, "GET /no/such/page", r, http.StatusNotFound, "404", `href="/"`)
	if !isPage(r.Body) {
		t.Errorf("the 404 should be a page in the app's layout:\n%s", r.Body)
	}
	var e errorJSON
	if code := a.getJSON("/api/no-such", &e); code != http.StatusNotFound || e.Error.Message == "" {
		t.Errorf("GET /api/no-such: status %d, error %q; want 404 with a JSON error", code, e.Error.Message)
	}
	if r := a.postJSON("/api/no-such", `{}`, &e); r.Status != http.StatusNotFound || e.Error.Message == "" {
		t.Errorf("POST /api/no-such: status %d, error %q; want 404 with a JSON error", r.Status, e.Error.Message)
	}
	req, _ := http.NewRequest(http.MethodDelete, a.URL("/api/status"), nil)
	if r := a.do(req); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/status: status %d, want 405", r.Status)
	}
}

func TestFormPostsNeedCSRFToken(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	form := url.Values{"epochs": {"1"}}
	for _, path := range []string{"/dataset", "/dataset/cancel", "/training", "/training/stop", "/predictions"} {
		for _, htmx := range []bool{false, true} {
			// The cookie is there, the token is not.
			r := b.postRaw(path, form.Encode(), htmx)
			wantStatus(t, "POST "+path+" without a token", r, http.StatusForbidden, "CSRF token")
			// A token that does not match the cookie.
			bad := url.Values{"epochs": {"1"}, "_csrf": {"not-the-token"}}
			r = b.postRaw(path, bad.Encode(), htmx)
			wantStatus(t, "POST "+path+" with a wrong token", r, http.StatusForbidden, "CSRF token")
		}
	}
	// A foreign site's form, as a browser marks it.
	req, _ := http.NewRequest(http.MethodPost, a.URL("/training"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-site POST /training", doWith(t, b.client, req), http.StatusForbidden)
	wantNothingStarted(t, a)

	// The token in the X-CSRF-Token header, as htmx sends it, works.
	req, _ = http.NewRequest(http.MethodPost, a.URL("/training/stop"), nil)
	req.Header.Set("X-CSRF-Token", b.token)
	req.Header.Set("HX-Request", "true")
	wantStatus(t, "POST /training/stop with the header token", doWith(t, b.client, req), http.StatusConflict)

	// A browser that says the form comes from this origin needs no token.
	req, _ = http.NewRequest(http.MethodPost, a.URL("/training/stop"), nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	wantStatus(t, "same-origin POST /training/stop", a.do(req), http.StatusConflict)
}

func TestOversizedBodyIsRefused(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	huge := url.Values{"epochs": {"1"}, "padding": {strings.Repeat("x", 100_000)}}
	wantStatus(t, "POST /training with 100 kB", b.post("/training", huge, false), http.StatusRequestEntityTooLarge, "too large")
	wantStatus(t, "htmx POST /training with 100 kB", b.post("/training", huge, true), http.StatusRequestEntityTooLarge)

	// A form sent without Content-Length is cut off while it is read; it
	// must not reach the handler as an empty form (the defaults), even
	// from a browser that needs no token.
	for _, secFetchSite := range []string{"", "same-origin"} {
		req, _ := http.NewRequest(http.MethodPost, a.URL("/training"), io.MultiReader(strings.NewReader(huge.Encode())))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if secFetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", secFetchSite)
		}
		wantStatus(t, "chunked POST /training with 100 kB, Sec-Fetch-Site "+secFetchSite, doWith(t, b.client, req),
			http.StatusRequestEntityTooLarge, "too large")
	}

	body := `{"epochs":1,"padding":"` + strings.Repeat("x", 100_000) + `"}`
	var e errorJSON
	if r := a.postJSON("/api/training", body, &e); r.Status != http.StatusRequestEntityTooLarge || e.Error.Message == "" {
		t.Errorf("POST /api/training with 100 kB: status %d, error %q; want 413", r.Status, e.Error.Message)
	}
	// Without a Content-Length the limit applies while reading.
	req, _ := http.NewRequest(http.MethodPost, a.URL("/api/training"), io.MultiReader(strings.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	if req.ContentLength != 0 {
		t.Fatal("the request should be chunked")
	}
	if r := a.do(req); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked POST /api/training with 100 kB: status %d, want 413; body: %s", r.Status, r.Body)
	}
	wantNothingStarted(t, a)
}

func TestTrainingFormRejectsBadValues(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	cases := []struct {
		form          url.Values
		field, errMsg string
	}{
		{url.Values{"epochs": {"0"}}, "epochs", "Must be between 1 and 1000"},
		{url.Values{"epochs": {"two"}}, "epochs", "Must be a whole number"},
		{url.Values{"epochs": {"1"}, "batch_size": {"-5"}}, "batch_size", "Must be between 1 and 4096"},
		{url.Values{"epochs": {"1"}, "batch_size": {"3.5"}}, "batch_size", "Must be a whole number"},
		{url.Values{"epochs": {"1"}, "lr": {"fast"}}, "lr", "Must be a number such as 0.001"},
		{url.Values{"epochs": {"1"}, "lr": {"20"}}, "lr", "Must be greater than 0 and at most 10"},
		{url.Values{"epochs": {"1"}, "train_limit": {"-1"}}, "train_limit", "Must be 0 (all) or a positive number"},
		// Checks that need the dataset: 512 training images.
		{url.Values{"epochs": {"1"}, "train_limit": {"100000"}}, "train_limit", "larger than the training set (512 images)"},
		{url.Values{"epochs": {"1"}, "batch_size": {"200"}, "train_limit": {"100"}}, "batch_size", "larger than the 100 training images in use"},
	}
	for _, c := range cases {
		for _, htmx := range []bool{false, true} {
			what := "POST /training " + c.form.Encode()
			r := b.post("/training", c.form, htmx)
			status := http.StatusUnprocessableEntity
			if !htmx {
				r, status = followFormRedirect(t, b, what, r), http.StatusOK
			}
			wantStatus(t, what, r, status,
				`id="error-`+c.field+`"`, c.errMsg, `aria-describedby="error-`+c.field+`"`)
			// The form comes back as typed, with the token.
			for name, v := range c.form {
				if name != "_csrf" && !strings.Contains(r.Body, `name="`+name+`"`) || !strings.Contains(r.Body, `value="`+v[0]+`"`) {
					t.Errorf("%s: the form does not show %s=%q as typed", what, name, v[0])
				}
			}
			if !strings.Contains(r.Body, `name="_csrf" value="`+b.token+`"`) {
				t.Errorf("%s: the form lost its CSRF token", what)
			}
			if htmx && (!isFragment(r.Body) || !strings.Contains(r.Body, `id="training-controls"`)) {
				t.Errorf("%s (htmx): want the training controls fragment:\n%s", what, r.Body)
			}
			if !htmx && !isPage(r.Body) {
				t.Errorf("%s: want the whole page with the error:\n%s", what, r.Body)
			}
		}
	}
	wantNothingStarted(t, a)
}

func TestActionsBeforeTheDatasetIsReady(t *testing.T) {
	a := startApp(t, appConfig{})
	b := a.newBrowser()
	for _, htmx := range []bool{false, true} {
		wantStatus(t, "POST /training before the dataset", b.post("/training", url.Values{"epochs": {"1"}}, htmx),
			http.StatusConflict, "The dataset is not ready")
		wantStatus(t, "POST /predictions before the dataset", b.post("/predictions", nil, htmx),
			http.StatusConflict, "dataset is not ready")
	}
	var e errorJSON
	if r := a.postJSON("/api/training", `{}`, &e); r.Status != http.StatusConflict || !strings.Contains(e.Error.Message, "dataset") {
		t.Errorf("POST /api/training before the dataset: status %d, error %q; want 409", r.Status, e.Error.Message)
	}
	wantStatus(t, "GET /predictions/image/0.png before the dataset", a.get("/predictions/image/0.png"), http.StatusNotFound)
	wantNothingStarted(t, a)
}

func TestDatasetFormPlainAndHTMX(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		a := startApp(t, appConfig{})
		b := a.newBrowser()
		events := ssetest.Connect(t, a.client, a.URL("/events"), "")
		r := b.post("/dataset", nil, false)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("POST /dataset: status %d, Location %q; want 303 to /", r.Status, r.Header.Get("Location"))
		}
		a.waitStatus("the dataset", 30*time.Second, func(st statusJSON) bool { return st.Dataset.Status == "ready" })
		// Viewers see the panel change and the download's log.
		evs := events.WaitFor(t, "the ready dataset panel", 10*time.Second, func(evs []ssetest.Event) bool {
			d := ssetest.Named(evs, "dataset")
			return len(d) > 0 && strings.Contains(d[len(d)-1].Data, "Ready for training")
		})
		if logs := ssetest.Named(evs, "log"); len(logs) == 0 || !strings.Contains(logs[len(logs)-1].Data, "Dataset ready") {
			t.Errorf("no log event says the dataset is ready: %+v", logs)
		}
		wantStatus(t, "GET / after the download", b.get("/"), http.StatusOK, "Ready for training", "512")
		// Preparing a prepared dataset changes nothing.
		if r := b.post("/dataset", nil, false); r.Status != http.StatusSeeOther {
			t.Errorf("POST /dataset again: status %d, want 303", r.Status)
		}
	})
	t.Run("htmx", func(t *testing.T) {
		a := startApp(t, appConfig{})
		b := a.newBrowser()
		r := b.post("/dataset", nil, true)
		wantStatus(t, "htmx POST /dataset", r, http.StatusOK, `id="dataset-panel"`)
		if !isFragment(r.Body) {
			t.Errorf("htmx POST /dataset should answer the panel only:\n%s", r.Body)
		}
		a.waitStatus("the dataset", 30*time.Second, func(st statusJSON) bool { return st.Dataset.Status == "ready" })
	})
}

func TestDatasetFailureIsShown(t *testing.T) {
	a := startApp(t, appConfig{source: filepath.Join(t.TempDir(), "empty")})
	if r := a.postJSON("/api/dataset", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("POST /api/dataset: status %d", r.Status)
	}
	st := a.waitStatus("the download to fail", 30*time.Second, func(st statusJSON) bool { return st.Dataset.Status != "downloading" })
	if st.Dataset.Status != string(fmnist.StatusFailed) || st.Dataset.Reason == "" {
		t.Fatalf("a missing source should fail with a reason; dataset: %+v", st.Dataset)
	}
	wantStatus(t, "GET / after the failure", a.get("/"), http.StatusOK, "The download failed.", "Retry")
}

// TestTrainingLifecycleThroughForms starts, refuses a second start, stops
// and predicts through the forms, plain and htmx.
func TestTrainingLifecycleThroughForms(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()

	for _, htmx := range []bool{false, true} {
		wantStatus(t, "POST /training/stop while idle", b.post("/training/stop", nil, htmx),
			http.StatusConflict, "Nothing to stop")
		wantStatus(t, "POST /predictions without a model", b.post("/predictions", nil, htmx),
			http.StatusConflict, "No model has been trained yet.")
	}
	var e errorJSON
	if r := a.postJSON("/api/training/stop", `{}`, &e); r.Status != http.StatusConflict || e.Error.Message == "" {
		t.Errorf("POST /api/training/stop while idle: status %d, want 409", r.Status)
	}
	if r := a.postJSON("/api/predictions", `{}`, &e); r.Status != http.StatusConflict || !strings.Contains(e.Error.Message, "No model has been trained") {
		t.Errorf("POST /api/predictions without a model: status %d, error %q; want 409", r.Status, e.Error.Message)
	}

	// A long run, stopped below.
	running := url.Values{"epochs": {"200"}, "batch_size": {"32"}, "lr": {"0.002"}, "train_limit": {"256"}}
	r := b.post("/training", running, true)
	wantStatus(t, "htmx POST /training", r, http.StatusOK, `id="training-controls"`, `value="200"`)
	if enabled, found := buttonEnabled(r.Body, "stop-button"); !isFragment(r.Body) || !found || !enabled {
		t.Errorf("htmx POST /training should answer the controls with Stop enabled:\n%s", r.Body)
	}
	st := a.status()
	if st.Training.Status != string(fmnist.StatusTraining) || st.Training.RunID == 0 {
		t.Fatalf("the run should be training; status: %+v", st.Training)
	}
	runID := st.Training.RunID
	wantConfig := fmnist.DefaultConfig()
	wantConfig.Epochs, wantConfig.BatchSize, wantConfig.LR, wantConfig.TrainLimit = 200, 32, 0.002, 256
	if *st.Training.Config != wantConfig {
		t.Errorf("run config = %+v, want %+v", *st.Training.Config, wantConfig)
	}

	// A second start while it runs is refused and changes nothing.
	other := url.Values{"epochs": {"1"}, "batch_size": {"16"}}
	for _, htmx := range []bool{false, true} {
		r := b.post("/training", other, htmx)
		wantStatus(t, "second POST /training", r, http.StatusConflict, "already in progress")
		if htmx != isFragment(r.Body) {
			t.Errorf("second POST /training (htmx %v): fragment %v", htmx, isFragment(r.Body))
		}
		// The dataset is prepared: asking again changes nothing and is no error.
		r = b.post("/dataset", nil, htmx)
		if htmx {
			wantStatus(t, "htmx POST /dataset while training", r, http.StatusOK, "Ready for training")
		} else if r.Status != http.StatusSeeOther {
			t.Errorf("POST /dataset while training: status %d, want 303", r.Status)
		}
	}
	if r := a.postJSON("/api/training", `{"epochs":1}`, &e); r.Status != http.StatusConflict {
		t.Errorf("POST /api/training while training: status %d, want 409", r.Status)
	}
	var ds statusJSON
	if r := a.postJSON("/api/dataset", `{}`, &ds); r.Status != http.StatusAccepted || ds.Dataset.Status != "ready" {
		t.Errorf("POST /api/dataset while training: status %d, dataset %q; want 202, still ready", r.Status, ds.Dataset.Status)
	}
	st = a.status()
	if st.Training.RunID != runID || *st.Training.Config != wantConfig || st.Training.Status != string(fmnist.StatusTraining) {
		t.Errorf("refused starts changed the run: %+v", st.Training)
	}
	var runs struct {
		Runs []runJSON `json:"runs"`
	}
	if a.getJSON("/api/runs", &runs); len(runs.Runs) != 1 {
		t.Errorf("refused starts recorded runs: %+v", runs.Runs)
	}

	// Let it save nothing yet reach a few batches, then stop it.
	a.waitStatus("a few batches", 30*time.Second, func(st statusJSON) bool { return st.Training.Progress.Batch >= 2 })
	r = b.post("/training/stop", nil, false)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("POST /training/stop: status %d, want 303 to /", r.Status)
	}
	st = a.waitRunEnded(runID, 30*time.Second)
	if st.Training.Status != string(fmnist.StatusStopped) || !st.HasModel || st.Training.Checkpoint == "" {
		t.Fatalf("a stopped run should leave a checkpoint; status: %+v", st)
	}
	wantStatus(t, "GET / after the stop", b.get("/"), http.StatusOK, `data-state="stopped"`, filepath.Base(st.Training.Checkpoint))

	// Stop through htmx: nothing to swap (204); the stream brings the
	// stopping and stopped controls, so a late answer cannot undo them.
	second := a.startTraining(`{"epochs":200,"batch_size":32,"train_limit":256}`)
	r = b.post("/training/stop", nil, true)
	wantStatus(t, "htmx POST /training/stop", r, http.StatusNoContent)
	if strings.TrimSpace(r.Body) != "" {
		t.Errorf("htmx POST /training/stop should answer nothing to swap:\n%s", r.Body)
	}
	if st := a.waitRunEnded(second, 30*time.Second); st.Training.Status != string(fmnist.StatusStopped) {
		t.Errorf("the second run ended as %q, want stopped", st.Training.Status)
	}

	// Predictions from the stopped run's checkpoint.
	r = b.post("/predictions", nil, false)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /predictions: status %d, want 303; body:\n%s", r.Status, r.Body)
	}
	page := b.get("/")
	if n := strings.Count(page.Body, `src="/predictions/image/`); n != 16 {
		t.Errorf("the page shows %d predicted images, want 16", n)
	}
	r = b.post("/predictions", nil, true)
	wantStatus(t, "htmx POST /predictions", r, http.StatusOK, `id="predictions-panel"`, `id="test-accuracy"`)
	if n := strings.Count(r.Body, `src="/predictions/image/`); !isFragment(r.Body) || n != 16 {
		t.Errorf("htmx POST /predictions should answer the panel with 16 images; %d images:\n%s", n, r.Body)
	}
}

func TestTestImageIsScaledPNG(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	ds, err := data.LoadDataset(a.Layout.Dataset())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 7, testImages - 1} {
		r := a.get("/predictions/image/" + itoa(int64(i)) + ".png")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("GET image %d: status %d, type %q", i, r.Status, r.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatalf("image %d is not a PNG: %v", i, err)
		}
		if img.Bounds() != image.Rect(0, 0, 112, 112) {
			t.Fatalf("image %d is %v, want 112×112", i, img.Bounds())
		}
		want := ds.Test.Image(i)
		for y := range 112 {
			for x := range 112 {
				g, _, _, _ := img.At(x, y).RGBA()
				if uint8(g>>8) != want[(y/4)*28+x/4] {
					t.Fatalf("image %d pixel (%d,%d) = %d, want test pixel %d", i, x, y, g>>8, want[(y/4)*28+x/4])
				}
			}
		}
	}
	for _, path := range []string{"/predictions/image/256.png", "/predictions/image/-1.png", "/predictions/image/3.gif", "/predictions/image/x.png"} {
		wantStatus(t, "GET "+path, a.get(path), http.StatusNotFound)
	}
}

func TestAPIRefusesBadRequests(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	for _, path := range []string{"/api/dataset", "/api/training", "/api/training/stop", "/api/predictions"} {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
			req, _ := http.NewRequest(http.MethodPost, a.URL(path), strings.NewReader(`{"epochs":1}`))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			var e errorJSON
			r := a.do(req)
			if r.Status != http.StatusUnsupportedMediaType || jsonErr(r.Body, &e) != nil || !strings.Contains(e.Error.Message, "application/json") {
				t.Errorf("POST %s as %q: status %d, body %s; want 415 naming application/json", path, ct, r.Status, r.Body)
			}
		}
	}
	cases := []struct {
		body  string
		code  int
		field string
	}{
		{`{"epochs":0}`, http.StatusUnprocessableEntity, "epochs"},
		{`{"batch_size":100000}`, http.StatusUnprocessableEntity, "batch_size"},
		{`{"lr":-1}`, http.StatusUnprocessableEntity, "lr"},
		{`{"train_limit":600}`, http.StatusUnprocessableEntity, "train_limit"},
		// A value of the wrong type is a field error too.
		{`{"epochs":"two"}`, http.StatusUnprocessableEntity, "epochs"},
		{`{"epochs":1e9}`, http.StatusUnprocessableEntity, "epochs"},
		{`{"epochs":2.5}`, http.StatusUnprocessableEntity, "epochs"},
		{`{"epochs":99999999999999999999}`, http.StatusUnprocessableEntity, "epochs"},
		{`{"lr":"fast"}`, http.StatusUnprocessableEntity, "lr"},
		{`{"seed":true}`, http.StatusUnprocessableEntity, "seed"},
		{`{"epochs":1,"train_limit":[1]}`, http.StatusUnprocessableEntity, "train_limit"},
		// Anything but one JSON object is refused whole.
		{`{"epoch":1}`, http.StatusBadRequest, ""},
		{`[1,2]`, http.StatusBadRequest, ""},
		{`{"epochs":1`, http.StatusBadRequest, ""},
		{`null`, http.StatusBadRequest, ""},
		{`"epochs"`, http.StatusBadRequest, ""},
		{`1`, http.StatusBadRequest, ""},
		{`{"epochs":1}garbage`, http.StatusBadRequest, ""},
		{`{"epochs":1}{"epochs":2}`, http.StatusBadRequest, ""},
		{`{"epochs":1} null`, http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		var e errorJSON
		r := a.postJSON("/api/training", c.body, &e)
		if r.Status != c.code || e.Error.Field != c.field || e.Error.Message == "" || e.Error.Code != "invalid" {
			t.Errorf("POST /api/training %s: status %d, error %+v; want %d, code invalid, field %q", c.body, r.Status, e.Error, c.code, c.field)
		}
		for _, goWord := range []string{"Go ", "unmarshal", "fmnist.", "int64", "float64"} {
			if strings.Contains(e.Error.Message, goWord) {
				t.Errorf("POST /api/training %s: the message %q speaks of Go types", c.body, e.Error.Message)
			}
		}
	}
	// The other JSON POSTs take an empty object (or no body): nothing else.
	for _, path := range []string{"/api/dataset", "/api/training/stop", "/api/predictions"} {
		for _, body := range []string{`{"epochs":1}`, `null`, `[]`, `{}garbage`, `{}{}`} {
			var e errorJSON
			if r := a.postJSON(path, body, &e); r.Status != http.StatusBadRequest || e.Error.Message == "" {
				t.Errorf("POST %s %s: status %d, error %+v; want 400", path, body, r.Status, e.Error)
			}
		}
	}
	for _, body := range []string{`{}`, ` { } ` + "\n", ``} {
		if r := a.postJSON("/api/training/stop", body, nil); r.Status != http.StatusConflict {
			t.Errorf("POST /api/training/stop %q: status %d, want 409 (nothing to stop): %s", body, r.Status, r.Body)
		}
	}
	wantNothingStarted(t, a)

	// One object followed by white space, as a file sent with curl -d @file ends.
	var started struct {
		RunID  int64         `json:"run_id"`
		Config fmnist.Config `json:"config"`
	}
	if r := a.postJSON("/api/training", " {\"epochs\":1,\"batch_size\":16,\"train_limit\":64}\r\n\t ", &started); r.Status != http.StatusCreated ||
		started.Config.Epochs != 1 || started.Config.BatchSize != 16 || started.Config.TrainLimit != 64 || started.Config.LR != fmnist.DefaultConfig().LR {
		t.Errorf("POST /api/training with trailing white space: status %d, %+v; want 201 with the config and default lr", r.Status, started)
	} else {
		a.waitRunEnded(started.RunID, 30*time.Second)
	}

	var e errorJSON
	if code := a.getJSON("/api/runs/abc", &e); code != http.StatusBadRequest {
		t.Errorf("GET /api/runs/abc: status %d, want 400", code)
	}
	if code := a.getJSON("/api/runs/99", &e); code != http.StatusNotFound || !strings.Contains(e.Error.Message, "99") || e.Error.Code != "not_found" {
		t.Errorf("GET /api/runs/99: status %d, error %q; want 404", code, e.Error.Message)
	}
}

func jsonErr(body string, e *errorJSON) error { return json.Unmarshal([]byte(body), e) }

// TestHeadOnGetRoutes asks for the headers of pages, static files and the
// API's reads, as link checkers and monitors do: the answer is GET's, without
// the body.
func TestHeadOnGetRoutes(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	for _, c := range []struct{ path, contentType string }{
		{"/", "text/html"},
		{"/public/app.css", "text/css"},
		{"/public/htmx.min.js", "javascript"},
		{"/api/status", "application/json"},
		{"/api/runs", "application/json"},
		{"/api/runs.csv", "text/csv"},
		{"/healthz", "application/json"},
		{"/predictions/image/0.png", "image/png"},
		{"/events", "text/event-stream"},
	} {
		req, _ := http.NewRequest(http.MethodHead, a.URL(c.path), nil)
		r := a.do(req)
		if r.Status != http.StatusOK || r.Body != "" || !strings.Contains(r.Header.Get("Content-Type"), c.contentType) {
			t.Errorf("HEAD %s: status %d, Content-Type %q, %d bytes of body; want 200, %s, no body",
				c.path, r.Status, r.Header.Get("Content-Type"), len(r.Body), c.contentType)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, a.URL("/public/no-such.js"), nil)
	if r := a.do(req); r.Status != http.StatusNotFound || r.Body != "" {
		t.Errorf("HEAD /public/no-such.js: status %d, %d bytes; want 404 without a body", r.Status, len(r.Body))
	}
}
