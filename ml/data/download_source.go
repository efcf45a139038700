package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OfficialMirrors are where the default source downloads from, in order: the
// official site, then the copy in the Fashion-MNIST GitHub repository.
var OfficialMirrors = []string{
	"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
	"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
}

// sumsFile lists checksums in a custom source, in sha256sum format.
const sumsFile = "SHA256SUMS"

// datasetSource is a parsed source: one or more mirrors tried in order.
type datasetSource struct {
	mirrors []mirror
	// official sources are verified against the published MD5s and the
	// exact 60,000/10,000 counts; custom ones against SHA256SUMS if present.
	official bool
	// localDir is the directory of a local source, to notice when it is the
	// dataset directory itself (prepared in place: files are never removed).
	localDir string
}

func (s datasetSource) String() string {
	labels := make([]string, len(s.mirrors))
	for i, m := range s.mirrors {
		labels[i] = m.label
	}
	return strings.Join(labels, ", ")
}

// mirror is one place that serves the four files.
type mirror struct {
	label string // URL or directory, for logs and errors
	fetch fetcher
}

// host is the mirror's host (with its port, if any), or its directory.
func (m mirror) host() string {
	if u, err := url.Parse(m.label); err == nil && u.Host != "" {
		return u.Host
	}
	return m.label
}

// fetcher reads files from a mirror.
type fetcher interface {
	// open starts reading name at byte offset. start is where body really
	// begins: offset, or 0 when the mirror cannot resume. size is the whole
	// file's size, or -1 when unknown.
	open(ctx context.Context, name string, offset int64) (body io.ReadCloser, start, size int64, err error)
	// knownSize is the size of name when it is cheap to learn, else -1.
	knownSize(name string) int64
}

// errNotFound means the mirror does not have the file; retrying the same
// mirror is pointless.
var errNotFound = errors.New("not found")

// permanentError marks a failure that retrying the same mirror cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// httpStatusError is an unexpected HTTP status.
type httpStatusError struct {
	url        string
	code       int
	retryAfter time.Duration // from a Retry-After header, if any
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.url, e.code, http.StatusText(e.code))
}

func (e *httpStatusError) Is(target error) bool {
	return target == errNotFound && (e.code == http.StatusNotFound || e.code == http.StatusGone)
}

// isTransient reports whether trying the same mirror again may succeed:
// network failures, cut transfers, 5xx, 429 and 408 are; a missing file,
// other 4xx statuses and local file errors are not.
func isTransient(err error) bool {
	var statusErr *httpStatusError
	var permErr permanentError
	switch {
	case errors.As(err, &statusErr):
		c := statusErr.code
		return c >= 500 || c == http.StatusTooManyRequests || c == http.StatusRequestTimeout
	case errors.As(err, &permErr), errors.Is(err, errNotFound):
		return false
	}
	return true
}

// describeFailure says in a few words what went wrong with host, for the
// retry notice users see; the log keeps the whole error.
func describeFailure(err error, host string) string {
	var stall *stallError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var netErr net.Error
	var statusErr *httpStatusError
	switch {
	case errors.As(err, &stall) && stall.answered:
		return "transfer from " + host + " stalled"
	case errors.As(err, &stall):
		return "no answer from " + host
	case errors.As(err, &dnsErr):
		return "cannot find " + host
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "cannot connect to " + host
	case errors.As(err, &netErr) && netErr.Timeout(): // the default client's header timeout
		return "no answer from " + host
	case errors.As(err, &statusErr):
		return fmt.Sprintf("status %d %s from %s", statusErr.code, http.StatusText(statusErr.code), host)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "connection to " + host + " was cut"
	}
	return "download from " + host + " failed: " + err.Error()
}

// parseSource turns the source option into mirrors: "" for the official
// mirrors, an http(s) or file URL, or a local directory.
func parseSource(source string, client *http.Client) (datasetSource, error) {
	if source == "" {
		src := datasetSource{official: true}
		for _, base := range OfficialMirrors {
			src.mirrors = append(src.mirrors, mirror{label: base, fetch: &httpFetcher{base: base, client: client}})
		}
		return src, nil
	}
	dir := source
	if strings.Contains(source, "://") {
		u, err := url.Parse(source)
		if err != nil {
			return datasetSource{}, fmt.Errorf("dataset source %q: %w", source, err)
		}
		switch u.Scheme {
		case "http", "https":
			if u.Host == "" {
				return datasetSource{}, fmt.Errorf("dataset source %q: the URL has no host", source)
			}
			return datasetSource{mirrors: []mirror{{label: source, fetch: &httpFetcher{base: source, client: client}}}}, nil
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return datasetSource{}, fmt.Errorf("dataset source %q: a file URL must be file:///absolute/path", source)
			}
			dir = u.Path
		default:
			return datasetSource{}, fmt.Errorf("dataset source %q: unsupported scheme %q (use http, https, file or a directory)", source, u.Scheme)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		return datasetSource{}, fmt.Errorf("dataset source: %w", err)
	}
	if !info.IsDir() {
		return datasetSource{}, fmt.Errorf("dataset source %s is not a directory", dir)
	}
	return datasetSource{mirrors: []mirror{{label: dir, fetch: dirFetcher{dir: dir}}}, localDir: dir}, nil
}

// defaultHTTPClient bounds connecting and waiting for headers but not the
// whole transfer (26 MB may take long on a slow line); stalled bodies are
// caught by the downloader's stall timeout instead.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	},
}

// httpFetcher reads files below a base URL, resuming with Range requests.
type httpFetcher struct {
	base   string
	client *http.Client
}

func (h *httpFetcher) knownSize(string) int64 { return -1 }

func (h *httpFetcher) open(ctx context.Context, name string, offset int64) (io.ReadCloser, int64, int64, error) {
	fileURL, err := url.JoinPath(h.base, name)
	if err != nil {
		return nil, 0, 0, permanentError{fmt.Errorf("build URL for %s: %w", name, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fileURL, nil)
	if err != nil {
		return nil, 0, 0, permanentError{fmt.Errorf("build request for %s: %w", fileURL, err)}
	}
	// The files are gzip already; asking for identity also stops the
	// transport from transparently decompressing, which breaks Range.
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("GET %s: %w", fileURL, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, 0, resp.ContentLength, nil
	case http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			resp.Body.Close()
			return nil, 0, 0, permanentError{fmt.Errorf("GET %s: asked to resume at byte %d, got Content-Range %q", fileURL, offset, resp.Header.Get("Content-Range"))}
		}
		return resp.Body, start, size, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		// "bytes */N": the part already holds all N bytes, or more than
		// the file has, in which case start over.
		if size, ok := parseUnsatisfiedRange(resp.Header.Get("Content-Range")); ok && size == offset {
			return io.NopCloser(strings.NewReader("")), offset, size, nil
		}
		return h.open(ctx, name, 0)
	}
	resp.Body.Close()
	return nil, 0, 0, &httpStatusError{url: fileURL, code: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
}

// parseContentRange parses "bytes START-END/SIZE"; size is -1 for "*".
func parseContentRange(v string) (start, size int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(spec, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if total == "*" {
		return start, -1, true
	}
	size, err = strconv.ParseInt(total, 10, 64)
	return start, size, err == nil
}

// parseUnsatisfiedRange parses the "bytes */SIZE" of a 416 response.
func parseUnsatisfiedRange(v string) (int64, bool) {
	total, found := strings.CutPrefix(v, "bytes */")
	if !found {
		return 0, false
	}
	size, err := strconv.ParseInt(total, 10, 64)
	return size, err == nil
}

// parseRetryAfter reads a Retry-After header given in seconds (the HTTP-date
// form is rare for downloads and ignored).
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// dirFetcher reads files from a local directory.
type dirFetcher struct{ dir string }

func (d dirFetcher) knownSize(name string) int64 {
	info, err := os.Stat(filepath.Join(d.dir, name))
	if err != nil {
		return -1
	}
	return info.Size()
}

func (d dirFetcher) open(_ context.Context, name string, offset int64) (io.ReadCloser, int64, int64, error) {
	path := filepath.Join(d.dir, name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, errNotFound)
	}
	if err != nil {
		return nil, 0, 0, permanentError{err}
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, 0, permanentError{err}
	}
	if offset > info.Size() {
		offset = 0
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, 0, permanentError{err}
	}
	return f, offset, info.Size(), nil
}
