package handlers_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmnist/trainer/handlers/internal/ssetest"
	"github.com/fmnist/trainer/server"
)

// rawConn is a client connection driven byte by byte. It records when the
// server closed it.
type rawConn struct {
	net.Conn
	name   string
	reader *bufio.Reader
	closed chan struct{} // closed once a read fails: the server hung up
	got    string        // what the server sent before it did
}

func dialRaw(t *testing.T, addr, name string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, name: name, reader: bufio.NewReader(c), closed: make(chan struct{})}
}

// watch reads what the server sends until it closes the connection.
func (c *rawConn) watch() {
	go func() {
		b, _ := io.ReadAll(c.reader)
		c.got = string(b)
		close(c.closed)
	}()
}

// dribble sends body one byte every interval, until the server hangs up.
func (c *rawConn) dribble(body string, interval time.Duration) {
	go func() {
		for i := 0; i < len(body); i++ {
			select {
			case <-c.closed:
				return
			case <-time.After(interval):
			}
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
		}
	}()
}

// roundTrip sends one GET and reads its response, keeping the connection.
func (c *rawConn) roundTrip(t *testing.T, host, path string) int {
	t.Helper()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host); err != nil {
		t.Fatalf("%s: write: %v", c.name, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.reader, nil)
	if err != nil {
		t.Fatalf("%s: GET %s: %v", c.name, path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = c.SetReadDeadline(time.Time{})
	return resp.StatusCode
}

// waitClosed fails unless the server closes c within d.
func (c *rawConn) waitClosed(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(d):
		t.Errorf("%s: still open after %v", c.name, d)
	}
}

// TestSlowAndIdleConnectionsAreClosed: clients that send a request body a
// byte at a time, or dribble their headers, or keep a connection open
// without asking anything more, are cut off after the server's timeouts; an
// event stream open all along still delivers events.
func TestSlowAndIdleConnectionsAreClosed(t *testing.T) {
	const timeout = time.Second
	a := startApp(t, appConfig{prepared: true, configure: func(m *server.Main) {
		m.ReadHeaderTimeout, m.ReadTimeout, m.WriteTimeout, m.IdleTimeout = timeout, timeout, timeout, timeout
	}})
	host := a.addr()
	stream := ssetest.Connect(t, a.client, a.URL("/events"), "")
	streamOpened := time.Now()

	var conns []*rawConn
	slowBody := strings.Repeat(" ", 1000) + "{}"
	for i := range 5 {
		c := dialRaw(t, host, fmt.Sprintf("slow JSON body %d", i))
		fmt.Fprintf(c, "POST /api/training HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			host, len(slowBody))
		c.watch()
		c.dribble(slowBody, 100*time.Millisecond)
		conns = append(conns, c)
	}
	form := dialRaw(t, host, "slow form body")
	fmt.Fprintf(form, "POST /training HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n", host)
	form.watch()
	form.dribble(strings.Repeat("a", 1000), 100*time.Millisecond)
	conns = append(conns, form)

	headers := dialRaw(t, host, "slow headers")
	headers.watch()
	headers.dribble("GET / HTTP/1.1\r\nHost: "+host+"\r\nX-Padding: "+strings.Repeat("x", 1000), 100*time.Millisecond)
	conns = append(conns, headers)

	for i := range 5 {
		c := dialRaw(t, host, fmt.Sprintf("idle keep-alive %d", i))
		if code := c.roundTrip(t, host, "/healthz"); code != http.StatusOK {
			t.Fatalf("GET /healthz: status %d", code)
		}
		c.watch()
		conns = append(conns, c)
	}

	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.waitClosed(t, timeout+3*time.Second) })
	}
	wg.Wait()
	for _, c := range conns[:6] {
		if strings.Contains(c.got, " 201 ") || strings.Contains(c.got, " 303 ") {
			t.Errorf("%s was accepted: %q", c.name, c.got)
		}
	}
	wantNothingStarted(t, a)

	// The stream has outlived every timeout several times over, and is live.
	if wait := 3*timeout - time.Since(streamOpened); wait > 0 {
		time.Sleep(wait)
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("the event stream ended after %v: %v", time.Since(streamOpened), err)
	}
	a.Web.Hub().Send("log", []byte("<li>still streaming</li>"))
	stream.WaitFor(t, "an event after the timeouts", 5*time.Second, func(evs []ssetest.Event) bool {
		logs := ssetest.Named(evs, "log")
		return len(logs) > 0 && strings.Contains(logs[len(logs)-1].Data, "still streaming")
	})
}

// nonLoopbackIP finds an address of this machine that is not loopback, so
// that a test can be a client the per-client cap applies to.
func nonLoopbackIP(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no non-loopback IPv4 address to connect from")
	}
	t.Skip("no non-loopback IPv4 address to connect from")
	return nil
}

// TestConnectionsPerClientAreCapped: one client address may hold only so
// many connections at once; one more is closed at once, and one that
// closes makes room. Loopback clients (a reverse proxy, the local user)
// are not capped.
func TestConnectionsPerClientAreCapped(t *testing.T) {
	const maxConns = 4
	ip := nonLoopbackIP(t)
	a := startApp(t, appConfig{configure: func(m *server.Main) {
		m.Addr = "0.0.0.0:0"
		m.AllowedHosts = []string{ip.String()}
		m.MaxConnsPerClient = maxConns
	}})
	remote := net.JoinHostPort(ip.String(), a.port())
	var held []*rawConn
	for i := range maxConns {
		c := dialRaw(t, remote, fmt.Sprintf("connection %d", i))
		if code := c.roundTrip(t, remote, "/healthz"); code != http.StatusOK {
			t.Fatalf("connection %d: GET /healthz: status %d", i, code)
		}
		held = append(held, c)
	}
	// One more from the same address: closed before it is served.
	extra := dialRaw(t, remote, "one connection too many")
	fmt.Fprintf(extra, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", remote)
	extra.watch()
	extra.waitClosed(t, 3*time.Second)
	if extra.got != "" {
		t.Errorf("the connection over the cap was served: %q", extra.got)
	}

	// Loopback clients are not counted: more than the cap at once.
	local := "127.0.0.1:" + a.port()
	for i := range 2 * maxConns {
		c := dialRaw(t, local, fmt.Sprintf("loopback connection %d", i))
		if code := c.roundTrip(t, local, "/healthz"); code != http.StatusOK {
			t.Fatalf("loopback connection %d: GET /healthz: status %d", i, code)
		}
	}

	// A connection that closes makes room for another.
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dialRaw(t, remote, "after one closed")
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", remote)
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(c.reader, nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /healthz after one closed: status %d", resp.StatusCode)
			}
			break
		}
		c.Close()
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "reset") || time.Now().After(deadline) {
			t.Fatalf("no room after a connection closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the server has not seen the close yet
	}
}
