// Package bundletest edits bundles (zip files) for tests that need a
// bundle with one entry changed, removed or added.
package bundletest

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// Rezip returns the entries of data with entry name's content replaced by
// content (nil: the entry removed) and the extra entries added.
func Rezip(tb testing.TB, data []byte, name string, content []byte, extra map[string][]byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(n string, c []byte) {
		w, err := zw.Create(n)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(c); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range zr.File {
		if f.Name == name {
			if content != nil {
				add(name, content)
			}
			continue
		}
		add(f.Name, Entry(tb, data, f.Name))
	}
	for n, c := range extra {
		add(n, c)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Entry returns the content of entry name of data.
func Entry(tb testing.TB, data []byte, name string) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				tb.Fatal(err)
			}
			defer rc.Close()
			content, err := io.ReadAll(rc)
			if err != nil {
				tb.Fatal(err)
			}
			return content
		}
	}
	tb.Fatalf("the bundle has no entry %s", name)
	return nil
}

// Edited returns data with entry name's text changed by edit.
func Edited(tb testing.TB, data []byte, name string, edit func(string) string) []byte {
	tb.Helper()
	return Rezip(tb, data, name, []byte(edit(string(Entry(tb, data, name)))), nil)
}
