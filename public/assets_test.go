package public

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"testing"
)

func TestURLNamesEachAssetByItsContent(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "echarts.min.js", "favicon.svg"} {
		url := URL(name)
		if !regexp.MustCompile(`^/public/[\w.-]+\.[0-9a-f]{8}\.(css|js|svg)$`).MatchString(url) {
			t.Errorf("URL(%q) = %q, want /public/NAME.HASH.EXT", name, url)
		}
		a, hashed, ok := Lookup(url[len("/public/"):])
		want, _ := FS.ReadFile(name)
		if !ok || !hashed || !bytes.Equal(a.Body, want) {
			t.Errorf("Lookup(%q) = %v, %v: want the embedded %s", url, hashed, ok, name)
			continue
		}
		if a.Gzip == nil {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.Gzip))
		if err != nil {
			t.Fatalf("%s: gzip copy: %v", name, err)
		}
		if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, want) {
			t.Errorf("%s: gzip copy unzips to %d bytes (err %v), want the embedded %d", name, len(plain), err, len(want))
		}
	}
	if _, _, ok := Lookup("app.00000000.css"); ok {
		t.Error("a stale hash should not be found")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                          false,
		"identity":                  false,
		"gzip":                      true,
		"gzip, deflate, br, zstd":   true,
		"br;q=1.0, GZIP;q=0.5":      true,
		"gzip;q=0":                  false,
		"*":                         true,
		"deflate, gzip; q = 0.000 ": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// BenchmarkReadManifest is the one-off cost of hashing and compressing the
// assets, paid by the first page or asset served.
func BenchmarkReadManifest(b *testing.B) {
	for b.Loop() {
		readManifest()
	}
}
