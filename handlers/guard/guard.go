// Package guard decides who may talk to the app: the Host name it was reached
// by (against DNS rebinding) and the site a request that changes something
// comes from (against cross-site posts). It is echo middleware; package
// handlers installs it in front of every route.
package guard

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Which host names the app answers to, and whose posts it takes.
//
// Any web site can make its own name resolve to 127.0.0.1 (DNS rebinding).
// The browser then treats the app as part of that site: the site's scripts
// may read the page, with its CSRF token, and post the forms or the JSON
// API. What they cannot change is the name in the Host header. So the app
// answers only to the names it is really reached by, and to any other Host
// says 421 Misdirected Request, on every route:
//
//   - localhost, 127.0.0.1 and [::1] with the server's port, when it listens
//     on a loopback address or on every interface;
//   - the entries of --allowed-hosts: "name" for any port, "name:port" for
//     one. A Host without a port matches name:80 and name:443.
//
// A post (or any request that changes something) that the browser marks as
// coming from another site is refused with 403, the JSON API's included:
// Sec-Fetch-Site other than same-origin or none, or, from browsers that do
// not send it, an Origin that is not one of the hosts above. "same-site" is
// refused too: it covers another port of localhost, and cookies (the CSRF
// cookie among them) are shared between the ports of a host. Requests
// without either header do not come from a browser (curl, scripts) and pass.

// hostPattern is one allowed host: a lower-case name (an IPv6 address
// without brackets) and a port, "" for any.
type hostPattern struct{ name, port string }

func (h hostPattern) String() string {
	name := h.name
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	if h.port == "" {
		return name
	}
	return name + ":" + h.port
}

// Policy holds the allowed hosts.
type Policy struct{ allowed []hostPattern }

// loopbackNames are the names of the loopback interface.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

// NewPolicy allows the loopback names with listen's port, when listen
// is a loopback or wildcard address, and the extra hosts (as ParseHosts
// returns them; a bad one is skipped).
func NewPolicy(listen net.Addr, extra []string) Policy {
	var p Policy
	if tcp, ok := listen.(*net.TCPAddr); ok && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified()) {
		for _, name := range loopbackNames {
			p.allowed = append(p.allowed, hostPattern{name, strconv.Itoa(tcp.Port)})
		}
	}
	for _, h := range extra {
		if pat, err := parseHost(h); err == nil {
			p.allowed = append(p.allowed, pat)
		}
	}
	return p
}

// IsLoopback reports whether addr is a loopback address, which other
// machines cannot reach.
func IsLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// ParseHosts reads a comma-separated list of allowed hosts ("name" or
// "name:port"; IPv6 addresses may be in brackets) and returns them written
// the way Host headers are matched against them.
func ParseHosts(list string) ([]string, error) {
	var out []string
	for _, entry := range strings.Split(list, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		h, err := parseHost(entry)
		if err != nil {
			return nil, err
		}
		out = append(out, h.String())
	}
	return out, nil
}

func parseHost(entry string) (hostPattern, error) {
	bad := func(why string) (hostPattern, error) {
		return hostPattern{}, fmt.Errorf("%q %s; give a host name or address, with or without a port, such as trainer.lan or 192.168.1.5:8080", entry, why)
	}
	if strings.Contains(entry, "://") {
		return bad("is a URL, not a host name")
	}
	if ip, err := netip.ParseAddr(entry); err == nil && ip.Is6() { // a bare IPv6 address
		return hostPattern{name: ip.String()}, nil
	}
	name, port, ok := splitHost(strings.ToLower(entry))
	if !ok || name == "" {
		return bad("is not a host name")
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("has a port that is not a number from 1 to 65535")
		}
	}
	if _, err := netip.ParseAddr(name); err != nil {
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
				return bad(fmt.Sprintf("has %q, which a host name cannot have", r))
			}
		}
	}
	return hostPattern{name: name, port: port}, nil
}

// splitHost splits a Host header (or an allowed host) into its name, lower
// case and without the brackets of an IPv6 address, and its port ("" when
// there is none). ok is false when it is not of that form.
func splitHost(hostport string) (name, port string, ok bool) {
	hostport = strings.ToLower(hostport)
	if rest, found := strings.CutPrefix(hostport, "["); found {
		name, after, found := strings.Cut(rest, "]")
		if !found {
			return "", "", false
		}
		if after == "" {
			return name, "", true
		}
		port, found = strings.CutPrefix(after, ":")
		return name, port, found && port != ""
	}
	name, port, found := strings.Cut(hostport, ":")
	if found && (port == "" || strings.Contains(port, ":")) {
		return "", "", false // an IPv6 address needs brackets here
	}
	return name, port, true
}

// allows reports whether the Host header hostport names this app.
func (p Policy) allows(hostport string) bool {
	name, port, ok := splitHost(hostport)
	if !ok {
		return false
	}
	return p.match(name, port, "80", "443")
}

// allowsOrigin reports whether origin (the Origin header) is a page of
// this app.
func (p Policy) allowsOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return false // "null" among others
	}
	name, port, ok := splitHost(u.Host)
	if !ok {
		return false
	}
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return p.match(name, port)
}

// match reports whether name with port (or, when port is "", one of
// defaultPorts) is allowed.
func (p Policy) match(name, port string, defaultPorts ...string) bool {
	for _, h := range p.allowed {
		if h.name != name {
			continue
		}
		if h.port == "" || h.port == port || port == "" && slices.Contains(defaultPorts, h.port) {
			return true
		}
	}
	return false
}

// Hosts lists the allowed hosts, for the log.
func (p Policy) Hosts() []string {
	out := make([]string, len(p.allowed))
	for i, h := range p.allowed {
		out[i] = h.String()
	}
	return out
}

// CheckHost refuses a request whose Host header is not one of the app's.
func (p Policy) CheckHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host := c.Request().Host
		if p.allows(host) {
			return next(c)
		}
		if len(host) > 100 {
			host = host[:100] + "…"
		}
		name, _, _ := splitHost(host)
		if name == "" {
			name = "NAME"
		}
		return echo.NewHTTPError(http.StatusMisdirectedRequest, fmt.Sprintf(
			"This server does not answer to the host name %q. If that is the name you reach it by, "+
				"start the server with --allowed-hosts %s.", host, name))
	}
}

// CheckOrigin refuses a request that changes something when a browser
// says it comes from another site.
func (p Policy) CheckOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
			if site == "same-origin" || site == "none" {
				return next(c)
			}
			return crossSite("Sec-Fetch-Site: " + site)
		}
		if origin := r.Header.Get(echo.HeaderOrigin); origin != "" && !p.allowsOrigin(origin) {
			return crossSite("Origin: " + origin)
		}
		return next(c)
	}
}

func crossSite(evidence string) error {
	if len(evidence) > 120 {
		evidence = evidence[:120] + "…"
	}
	return echo.NewHTTPError(http.StatusForbidden, "This request came from another site ("+evidence+
		") and was refused: the app takes changes only from its own pages and from scripts.")
}
