package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

// doc is rendered HTML parsed into a tree, with small lookups for tests.
type doc struct {
	t    *testing.T
	root *html.Node
	raw  string
}

func render(t *testing.T, c templ.Component) doc {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	root, err := html.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse rendered HTML: %v", err)
	}
	return doc{t: t, root: root, raw: buf.String()}
}

// all returns the elements for which match is true, in document order.
func (d doc) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

func (d doc) tag(name string) []*html.Node {
	return d.all(func(n *html.Node) bool { return n.Data == name })
}

// byID fails the test unless exactly one element has the id.
func (d doc) byID(id string) *html.Node {
	d.t.Helper()
	found := d.all(func(n *html.Node) bool { v, ok := attr(n, "id"); return ok && v == id })
	if len(found) != 1 {
		d.t.Fatalf("want one element with id %q, found %d in:\n%s", id, len(found), d.raw)
	}
	return found[0]
}

func (d doc) hasID(id string) bool {
	return len(d.all(func(n *html.Node) bool { v, ok := attr(n, "id"); return ok && v == id })) > 0
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attrOr(n *html.Node, key string) string {
	v, _ := attr(n, key)
	return v
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := attr(n, key)
	return ok
}

// text is the text below n, whitespace-normalised, with a space between text
// nodes so that adjacent elements do not run together.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attrOr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// within returns the elements below n that match.
func within(n *html.Node, match func(*html.Node) bool) []*html.Node {
	return doc{root: n}.all(match)
}

func named(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}
