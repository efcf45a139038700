package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/server"
)

// hostRequest sends a request to the app with the Host header host and the
// headers given. A response that opens an event stream is not read.
func hostRequest(t *testing.T, client *http.Client, a *testApp, method, path, host string, header http.Header, body string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.URL(path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, path, host, err)
	}
	defer resp.Body.Close()
	r := response{Status: resp.StatusCode, Header: resp.Header}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s (Host %s): read body: %v", method, path, host, err)
		}
		r.Body = string(b)
	}
	return r
}

// TestForeignHostIsRefused is a DNS-rebinding page's view of the app: its
// requests carry the page's own host name, and every route refuses them,
// whatever they ask.
func TestForeignHostIsRefused(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	port := a.port()
	b := a.newBrowser()
	asJSON := http.Header{"Content-Type": {"application/json"}}
	// The form as the rebinding page would post it: it can read the token
	// from the page, and the browser sends the cookie along.
	asForm := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {"_csrf=" + b.token}}
	form := url.Values{"epochs": {"1"}, "_csrf": {b.token}}.Encode()
	requests := []struct {
		method, path string
		header       http.Header
		body         string
	}{
		{http.MethodGet, "/", nil, ""},
		{http.MethodHead, "/", nil, ""},
		{http.MethodGet, "/events", nil, ""},
		{http.MethodGet, "/public/app.css", nil, ""},
		{http.MethodGet, "/healthz", nil, ""},
		{http.MethodGet, "/api/status", nil, ""},
		{http.MethodGet, "/predictions/image/0.png", nil, ""},
		{http.MethodGet, "/no/such/page", nil, ""},
		{http.MethodPost, "/api/training", asJSON, `{"epochs":1}`},
		{http.MethodPost, "/api/dataset", asJSON, `{}`},
		{http.MethodPost, "/training", asForm, form},
	}
	hosts := []string{
		"evil.example", "evil.example:" + port, "EVIL.example:" + port,
		"localhost.evil.example:" + port, "127.0.0.1.nip.io:" + port,
		"localhost:1", // a loopback name, but another port: another origin
	}
	for _, host := range hosts {
		for _, rq := range requests {
			r := hostRequest(t, a.client, a, rq.method, rq.path, host, rq.header, rq.body)
			what := rq.method + " " + rq.path + " with Host " + host
			if r.Status != http.StatusMisdirectedRequest {
				t.Errorf("%s: status %d, want 421; body:\n%.300s", what, r.Status, r.Body)
				continue
			}
			if rq.method != http.MethodHead && !strings.Contains(r.Body, "--allowed-hosts") {
				t.Errorf("%s: the refusal should say how to allow a host name:\n%.600s", what, r.Body)
			}
			if strings.HasPrefix(rq.path, "/api/") {
				var e errorJSON
				if jsonErr(r.Body, &e) != nil || e.Error.Message == "" {
					t.Errorf("%s: want a JSON error, got:\n%.300s", what, r.Body)
				}
			}
			for _, c := range (&http.Response{Header: r.Header}).Cookies() {
				if c.Name == "_csrf" {
					t.Errorf("%s: a refused request was given a CSRF cookie", what)
				}
			}
		}
	}
	wantNothingStarted(t, a)
	if st := a.status(); st.Viewers != 0 {
		t.Errorf("%d viewers are counted; a foreign host must not open a stream", st.Viewers)
	}
}

// TestLoopbackAndAllowedHosts: the loopback names with the server's port
// and the host names given in AllowedHosts (any port for a bare name, one
// port for name:port) are answered; lookalikes are not.
func TestLoopbackAndAllowedHosts(t *testing.T) {
	a := startApp(t, appConfig{configure: func(m *server.Main) {
		m.AllowedHosts = []string{"trainer.lan", "other.example:9000", "[fd00::2]", "192.0.2.7"}
	}})
	port := a.port()
	for _, c := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:" + port, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"LocalHost:" + port, http.StatusOK},
		{"[::1]:" + port, http.StatusOK},
		{"trainer.lan", http.StatusOK},
		{"trainer.lan:" + port, http.StatusOK},
		{"Trainer.LAN:8443", http.StatusOK},
		{"other.example:9000", http.StatusOK},
		{"[fd00::2]:" + port, http.StatusOK},
		{"192.0.2.7", http.StatusOK},
		{"other.example:9001", http.StatusMisdirectedRequest},
		{"other.example", http.StatusMisdirectedRequest},
		{"trainer.lan.evil.example", http.StatusMisdirectedRequest},
		{"sub.trainer.lan", http.StatusMisdirectedRequest},
		{"localhost", http.StatusMisdirectedRequest},
		{"[::1]:1", http.StatusMisdirectedRequest},
		{"192.0.2.77", http.StatusMisdirectedRequest},
	} {
		for _, path := range []string{"/", "/api/status", "/public/app.css"} {
			if r := hostRequest(t, a.client, a, http.MethodGet, path, c.host, nil, ""); r.Status != c.want {
				t.Errorf("GET %s with Host %s: status %d, want %d", path, c.host, r.Status, c.want)
			}
		}
	}
}

// TestCrossSitePostsAreRefused: a post that a browser marks as coming from
// another site (Sec-Fetch-Site, or an Origin that is not one of the app's
// hosts) is refused, the JSON API's included; one without those headers,
// as curl sends it, is not.
func TestCrossSitePostsAreRefused(t *testing.T) {
	a := startApp(t, appConfig{prepared: true, configure: func(m *server.Main) {
		m.AllowedHosts = []string{"trainer.lan"}
	}})
	own := "http://" + a.addr()
	b := a.newBrowser()
	post := func(path string, header http.Header) response {
		t.Helper()
		var req *http.Request
		if strings.HasPrefix(path, "/api/") {
			body := `{"epochs":1,"batch_size":16}`
			if strings.HasSuffix(path, "/stop") {
				body = `{}`
			}
			req, _ = http.NewRequest(http.MethodPost, a.URL(path), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		} else {
			form := url.Values{"epochs": {"1"}, "batch_size": {"16"}, "_csrf": {b.token}}
			req, _ = http.NewRequest(http.MethodPost, a.URL(path), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return doWith(t, b.client, req) // with the CSRF cookie
	}
	refused := []http.Header{
		{"Origin": {"http://evil.example"}},
		{"Origin": {"http://evil.example:" + a.port()}},
		{"Origin": {"http://localhost:1234"}}, // same site, another origin
		{"Origin": {"null"}},
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}},
		{"Sec-Fetch-Site": {"cross-site"}, "Origin": {own}},
	}
	for _, path := range []string{"/training", "/api/training", "/training/stop", "/api/training/stop"} {
		for _, h := range refused {
			r := post(path, h)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "another site") {
				t.Errorf("POST %s with %v: status %d, want 403 saying it came from another site:\n%.400s", path, h, r.Status, r.Body)
			}
		}
	}
	wantNothingStarted(t, a)

	// Nothing to stop (409) means the request got through.
	allowed := []http.Header{
		nil, // curl
		{"Origin": {own}},
		{"Origin": {"http://localhost:" + a.port()}},
		{"Origin": {"https://trainer.lan"}}, // behind a TLS proxy
		{"Sec-Fetch-Site": {"same-origin"}, "Origin": {own}},
		{"Sec-Fetch-Site": {"none"}},
	}
	for _, path := range []string{"/training/stop", "/api/training/stop"} {
		for _, h := range allowed {
			if r := post(path, h); r.Status != http.StatusConflict {
				t.Errorf("POST %s with %v: status %d, want 409 (nothing to stop):\n%.400s", path, h, r.Status, r.Body)
			}
		}
	}
}
