package ssetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// WaitClosedByServer reads (and discards) what the server sent on conn
// until the server closes it, failing the test if that takes longer than
// within. Reading lets a blocked server write through, so call it once the
// server should be done writing.
func WaitClosedByServer(t *testing.T, conn net.Conn, within time.Duration) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(within))
	n, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server did not close the stalled viewer's connection within %v (%d bytes read)", within, n)
	}
}

// DialStalled opens GET path on addr with a small receive buffer and
// never reads the answer.
func DialStalled(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	conn := DialUnread(t, addr, path)
	// Read the status line only, to know the stream is open.
	line, err := bufio.NewReaderSize(conn, 16).ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stalled viewer: %q, %v", line, err)
	}
	return conn
}

// DialUnread sends GET path to addr over a connection with a small receive
// buffer and reads nothing of the answer.
func DialUnread(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	dialer := net.Dialer{Control: setSmallReceiveBuffer}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	return conn
}
