package public

import (
	"bytes"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// immutable is for content-hashed names: a new build gets new names, so a
// browser never needs to ask again.
const immutable = "public, max-age=31536000, immutable"

// Serve answers with asset a: under its content-hashed name (what pages
// link, URL) cached for good, under its plain name (older pages and
// scripts) revalidated on each use, which the ETag makes cheap. Clients
// that accept gzip get the copy compressed at start.
func Serve(w http.ResponseWriter, r *http.Request, a *Asset, hashed bool) {
	h := w.Header()
	if hashed {
		h.Set("Cache-Control", immutable)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Add("Vary", "Accept-Encoding")
	if ct := mime.TypeByExtension(path.Ext(a.Name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	body, etag := a.Body, `"`+a.Hash+`"`
	if a.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = a.Gzip, `"`+a.Hash+`-gzip"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, HEAD and ranges.
	http.ServeContent(w, r, a.Name, time.Time{}, bytes.NewReader(body))
}

// Handler serves the assets by plain or hashed name at the root of its
// path (mount it with http.StripPrefix). A stale hash is not found rather
// than answered with other bytes that a browser would keep for a year.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, hashed, ok := Lookup(strings.TrimPrefix(r.URL.Path, "/"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		Serve(w, r, a, hashed)
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed and not
// refused with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
