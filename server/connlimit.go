package server

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// clientLimitListener caps the connections open at once from one client,
// so that one client's slow or idle connections cannot use up the
// server's. A connection over the cap is closed as soon as it is accepted.
//
// A client is its IP address, or for IPv6 its /64, which one host usually
// has whole. Loopback clients are not capped: they are the local user or a
// reverse proxy in front of the app, which speaks for many clients.
type clientLimitListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu       sync.Mutex
	open     map[netip.Addr]int
	lastWarn time.Time
}

func limitPerClient(ln net.Listener, max int, logger *slog.Logger) *clientLimitListener {
	return &clientLimitListener{Listener: ln, max: max, log: logger, open: map[netip.Addr]int{}}
}

func (l *clientLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client, capped := clientOf(c.RemoteAddr())
		if !capped {
			return c, nil
		}
		if l.take(client) {
			return &clientConn{Conn: c, release: sync.OnceFunc(func() { l.release(client) })}, nil
		}
		c.Close()
	}
}

// clientOf returns the client a connection counts against, and false for
// one that is not capped.
func clientOf(remote net.Addr) (netip.Addr, bool) {
	tcp, ok := remote.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(tcp.IP)
	if !ok || ip.Unmap().IsLoopback() {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().Addr(), true
	}
	return ip, true
}

func (l *clientLimitListener) take(client netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client] >= l.max {
		// At most one line a minute, however many are refused.
		if now := time.Now(); now.Sub(l.lastWarn) > time.Minute {
			l.lastWarn = now
			l.log.Warn("refusing connections: too many open from one client", "client", client.String(), "max", l.max)
		}
		return false
	}
	l.open[client]++
	return true
}

func (l *clientLimitListener) release(client netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// clientConn gives its client's place back when it closes.
type clientConn struct {
	net.Conn
	release func()
}

func (c *clientConn) Close() error {
	c.release()
	return c.Conn.Close()
}
