package public

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// Asset is one embedded file with what serving it needs: its content-hashed
// name and a gzip copy made once, so no request compresses it again.
type Asset struct {
	Name   string // as embedded: "app.css"
	Hashed string // content-hashed name: "app.3f2a1c0b.css"
	Hash   string // the hash in Hashed; the ETag too
	Body   []byte
	Gzip   []byte // nil when gzip would not make it smaller (e.g. an SVG this small)
}

type manifest struct {
	byName   map[string]*Asset // plain and hashed names
	byHashed map[string]bool
}

// assets reads FS once, on first use: hashing and compressing ~1.3 MB
// takes tens of milliseconds, which packages that never serve should not pay.
var assets = sync.OnceValue(readManifest)

func readManifest() manifest {
	m := manifest{byName: map[string]*Asset{}, byHashed: map[string]bool{}}
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic(fmt.Sprintf("public: read embedded assets: %v", err)) // embedded at build time: cannot fail
	}
	for _, e := range entries {
		body, err := FS.ReadFile(e.Name())
		if err != nil {
			panic(fmt.Sprintf("public: read embedded %s: %v", e.Name(), err))
		}
		sum := sha256.Sum256(body)
		a := &Asset{Name: e.Name(), Hash: hex.EncodeToString(sum[:4]), Body: body}
		ext := path.Ext(a.Name)
		a.Hashed = strings.TrimSuffix(a.Name, ext) + "." + a.Hash + ext
		if gz := compress(body); len(gz) < len(body) {
			a.Gzip = gz
		}
		m.byName[a.Name] = a
		m.byName[a.Hashed] = a
		m.byHashed[a.Hashed] = true
	}
	return m
}

func compress(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	zw.Write(body)                                           // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

// URL returns the content-hashed address of an embedded asset, e.g.
// URL("app.css") is "/public/app.3f2a1c0b.css": a new build changes the
// address, so browsers may cache it forever. It panics on an unknown name,
// a programming error that every page render would show at once.
func URL(name string) string {
	a, ok := assets().byName[name]
	if !ok || a.Name != name {
		panic(fmt.Sprintf("public: no embedded asset %q", name))
	}
	return "/public/" + a.Hashed
}

// Lookup finds an asset by its plain or hashed name; hashed reports which.
// A name with a stale or wrong hash is not found.
func Lookup(name string) (a *Asset, hashed, ok bool) {
	m := assets()
	a, ok = m.byName[name]
	return a, m.byHashed[name], ok
}

// Prepare hashes and compresses the assets now (about 80 ms, once per
// process), so that the server pays it at start rather than its first
// viewer.
func Prepare() { assets() }
