package server

import (
	"net"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestClientOf: which client a connection counts against. The listener
// itself is tested end to end in handlers (TestConnectionsPerClientAreCapped).
func TestClientOf(t *testing.T) {
	for _, c := range []struct {
		remote string
		client string // "" when not capped
	}{
		{"192.0.2.7:5000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:5000", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:5000", "2001:db8:1:2::"},
		{"[2001:db8:1:2:ffff::1]:5000", "2001:db8:1:2::"},
		{"127.0.0.1:5000", ""},
		{"127.0.0.2:5000", ""},
		{"[::1]:5000", ""},
		{"[::ffff:127.0.0.1]:5000", ""},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.remote)
		if err != nil {
			t.Fatal(err)
		}
		client, capped := clientOf(addr)
		got := ""
		if capped {
			got = client.String()
		}
		if got != c.client {
			t.Errorf("clientOf(%s) = %q, want %q", c.remote, got, c.client)
		}
	}
}
