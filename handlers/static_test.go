package handlers_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/public"
)

// getGzip asks for path as a browser does, accepting gzip; the client then
// leaves the body compressed.
func getGzip(t *testing.T, a *testApp, method, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, a.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return a.do(req)
}

func gunzip(t *testing.T, what string, body string) string {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: body is not gzip: %v", what, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: read gzip body: %v", what, err)
	}
	return string(plain)
}

func TestResponsesAreGzippedForClientsThatAcceptIt(t *testing.T) {
	a := startApp(t, appConfig{})
	for _, c := range []struct{ path, want string }{
		{"/", "<html"},
		{"/public/app.js", "htmx"},
		{public.URL("echarts.min.js"), "echarts"},
		{"/api/status", `"status"`},
	} {
		r := getGzip(t, a, http.MethodGet, c.path)
		if r.Status != http.StatusOK || r.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s with Accept-Encoding gzip: status %d, Content-Encoding %q, want 200 gzip",
				c.path, r.Status, r.Header.Get("Content-Encoding"))
			continue
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("GET %s: Vary %v should name Accept-Encoding, or a cache could hand gzip to a client that cannot read it", c.path, r.Header.Values("Vary"))
		}
		if plain := gunzip(t, "GET "+c.path, r.Body); !strings.Contains(plain, c.want) {
			t.Errorf("GET %s: unzipped body lacks %q", c.path, c.want)
		}
	}

	// Without Accept-Encoding the bytes come as they are.
	req, _ := http.NewRequest(http.MethodGet, a.URL("/public/app.js"), nil)
	req.Header.Set("Accept-Encoding", "identity")
	r := a.do(req)
	if r.Header.Get("Content-Encoding") != "" || !strings.Contains(r.Body, "htmx") {
		t.Errorf("GET /public/app.js without gzip: Content-Encoding %q, want plain JavaScript", r.Header.Get("Content-Encoding"))
	}
	// HEAD still answers with GET's headers.
	if h := getGzip(t, a, http.MethodHead, public.URL("app.css")); h.Status != http.StatusOK || h.Header.Get("Content-Encoding") != "gzip" || h.Body != "" {
		t.Errorf("HEAD %s: status %d, Content-Encoding %q, body %d bytes", public.URL("app.css"), h.Status, h.Header.Get("Content-Encoding"), len(h.Body))
	}
}

func TestHashedAssetsAreCachedForGoodAndStaleHashesNotFound(t *testing.T) {
	a := startApp(t, appConfig{})
	page := a.get("/").Body
	for _, name := range []string{"app.css", "htmx.min.js", "sse.js", "echarts.min.js", "chart-controls.js", "app.js", "favicon.svg"} {
		url := public.URL(name)
		if !strings.Contains(page, `"`+url+`"`) {
			t.Errorf("the page should link %s as %s", name, url)
		}
		r := a.get(url)
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: status %d, Cache-Control %q, want 200 and immutable", url, r.Status, r.Header.Get("Cache-Control"))
		}
		want, _ := public.FS.ReadFile(name)
		if r.Body != string(want) {
			t.Errorf("GET %s: %d bytes, want the embedded %d", url, len(r.Body), len(want))
		}
	}

	// The plain name still works, revalidated each time (an ETag makes that cheap).
	plain := a.get("/public/app.css")
	if plain.Status != http.StatusOK || plain.Header.Get("Cache-Control") != "no-cache" || plain.Header.Get("ETag") == "" {
		t.Errorf("GET /public/app.css: status %d, Cache-Control %q, ETag %q, want 200, no-cache and an ETag",
			plain.Status, plain.Header.Get("Cache-Control"), plain.Header.Get("ETag"))
	}
	again := getGzip(t, a, http.MethodGet, "/public/app.css", "If-None-Match", getGzip(t, a, http.MethodGet, "/public/app.css").Header.Get("ETag"))
	if again.Status != http.StatusNotModified {
		t.Errorf("GET /public/app.css with its ETag: status %d, want 304", again.Status)
	}

	stale := strings.Replace(public.URL("app.css"), "app.", "app.0000", 1)
	wantStatus(t, "GET "+stale, a.get(stale), http.StatusNotFound)
	wantStatus(t, "GET /public/app.deadbeef.css", a.get("/public/app.deadbeef.css"), http.StatusNotFound)
}

// The event stream must not pass through gzip: a gzip writer holds small
// writes back, so a viewer would see no event until kilobytes piled up.
func TestEventStreamIsNotCompressedAndStreams(t *testing.T) {
	a := startApp(t, appConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL("/events"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("GET /events: %v", err)
	}
	defer resp.Body.Close()
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("GET /events with Accept-Encoding gzip: Content-Encoding %q, want none", ce)
	}

	// One small event must arrive on its own, not wait for more.
	seen := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if bytes.Contains(sc.Bytes(), []byte("streamed-alone")) {
				seen <- sc.Text()
				return
			}
		}
		close(seen)
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		a.Web.Hub().Send("gzip-probe", []byte("<p>streamed-alone</p>"))
		select {
		case _, ok := <-seen:
			if !ok {
				t.Fatal("the stream ended before the event arrived")
			}
			return
		case <-ctx.Done():
			t.Fatal("no event within 20 s: the stream is held back")
		case <-tick.C:
		}
	}
}
