package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data/datatest"
)

// hangFirst makes the first request for name hang: before its headers
// (headers false) or after them, before any byte of the body. The handler
// returns only when the client gives up.
func hangFirst(files map[string][]byte, name string, headers bool) func(http.ResponseWriter, *http.Request, string, int) bool {
	return func(w http.ResponseWriter, r *http.Request, got string, nth int) bool {
		if got != name || nth != 1 {
			return false
		}
		if headers {
			w.Header().Set("Content-Length", strconv.Itoa(len(files[name])))
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
		return true
	}
}

// TestPrepareRetriesAMirrorThatNeverAnswers hangs the first request for a
// file (a data file, or the SHA256SUMS fetched first) before its headers or
// before its body: the stall timeout ends it, the retry is reported, and the
// second request succeeds.
func TestPrepareRetriesAMirrorThatNeverAnswers(t *testing.T) {
	for _, file := range []string{TrainImagesFile, sumsFile} {
		for _, tc := range []struct {
			name    string
			headers bool
			problem string // what the retry report says, before the host
		}{
			{"no headers", false, "no answer from "},
			{"headers but no body", true, "transfer from "},
		} {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				files := datatest.Files(300, 20, 17)
				srv := newFileServer(t, files)
				srv.intercept = hangFirst(files, file, tc.headers)
				d := testDownloader(t, srv.Client())
				d.StallTimeout = 200 * time.Millisecond
				var retries []fmnist.DownloadRetry
				d.Retrying = func(r fmnist.DownloadRetry) { retries = append(retries, r) }
				dir := t.TempDir()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				if err := d.Prepare(ctx, dir, srv.source()); err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				assertPrepared(t, dir, files, 300, 20)
				if n := len(srv.requestsFor(file)); n != 2 {
					t.Errorf("%s requested %d times, want 2 (one hung, one retry)", file, n)
				}
				host := strings.TrimPrefix(srv.URL, "http://")
				want := fmnist.DownloadRetry{File: file, Mirror: host, Problem: tc.problem + host,
					Attempt: 1, Attempts: d.Attempts, Wait: d.Backoff}
				if tc.headers {
					want.Problem += " stalled"
				}
				if len(retries) != 1 || retries[0] != want {
					t.Errorf("retries reported: %+v, want one: %+v", retries, want)
				}
			})
		}
	}
}

// TestDescribeFailure checks the few words a retry notice gives for each
// kind of failure, with real network errors where they are cheap to get.
func TestDescribeFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	_, refused := http.Get("http://" + closedAddr + "/")
	if refused == nil {
		t.Fatalf("GET from the closed port %s succeeded", closedAddr)
	}
	const host = "example.org"
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&stallError{after: time.Second}, "no answer from example.org"},
		{fmt.Errorf("read x: %w", &stallError{answered: true, after: time.Second}), "transfer from example.org stalled"},
		{&httpStatusError{url: "http://example.org/x", code: 503}, "status 503 Service Unavailable from example.org"},
		{refused, "cannot connect to example.org"},
		{&net.DNSError{Err: "no such host", Name: host, IsNotFound: true}, "cannot find example.org"},
		{fmt.Errorf("read x: %w", io.ErrUnexpectedEOF), "connection to example.org was cut"},
		{errors.New("odd"), "download from example.org failed: odd"},
	} {
		if got := describeFailure(tc.err, host); got != tc.want {
			t.Errorf("describeFailure(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
