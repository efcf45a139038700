package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveInBackground runs `fmnist serve args...` until the returned stop is
// called, which returns its exit status. It returns the port it serves on.
func serveInBackground(t *testing.T, args ...string) (port string, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutReader, stdoutWriter := io.Pipe()
	stderr = &lockedBuffer{}
	exited := make(chan int, 1)
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), stdoutWriter, stderr)
		stdoutWriter.Close()
		exited <- code
	}()
	ports := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdoutReader)
		for lines.Scan() {
			if m := servingLine.FindStringSubmatch(lines.Text()); m != nil && len(ports) == 0 {
				_, p, _ := net.SplitHostPort(strings.TrimPrefix(m[1], "http://"))
				ports <- p
			}
		}
		_, _ = io.Copy(io.Discard, stdoutReader)
	}()
	stop = func() int {
		cancel()
		select {
		case code := <-exited:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("fmnist serve did not stop within 15 s")
			return -1
		}
	}
	select {
	case port = <-ports:
		return port, stderr, stop
	case code := <-exited:
		cancel()
		t.Fatalf("fmnist serve %v exited with status %d before serving; stderr:\n%s", args, code, stderr.tail(4000))
	case <-time.After(15 * time.Second):
		stop()
		t.Fatalf("fmnist serve %v printed no serving line within 15 s", args)
	}
	return "", nil, nil
}

// TestServeBeyondLoopbackNeedsAllowedHosts: listening where other machines
// can reach the app needs the host names they use; without them serve stops
// at once with one line and status 2. With them it warns, once, naming the
// hosts it answers to, and answers to those only.
func TestServeBeyondLoopbackNeedsAllowedHosts(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--addr", ":0"},
		{"--addr", ":0", "--allowed-hosts", " , "},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"serve", "--data-dir", t.TempDir()}, args...), &stdout, &stderr)
		cancel()
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], "--allowed-hosts") {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and one line naming --allowed-hosts", args, code, stderr.String())
		}
		if strings.Contains(stdout.String(), "serving on") {
			t.Errorf("serve %v served: %s", args, stdout.String())
		}
	}

	for _, bad := range []string{"http://trainer.lan/", "trainer.lan:http", "trainer lan", "trainer.lan:0"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--allowed-hosts", bad}, &stdout, &stderr)
		lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(lines[0], "--allowed-hosts") || !strings.Contains(lines[0], "trainer.lan") {
			t.Errorf("serve --allowed-hosts %q: exit %d, stderr %q; want 2 and one line about the value", bad, code, stderr.String())
		}
	}

	t.Setenv("FMNIST_ALLOWED_HOSTS", "trainer.lan, 192.0.2.7:8080")
	port, stderr, stop := serveInBackground(t, "--addr", "0.0.0.0:0", "--data-dir", t.TempDir())
	client := &http.Client{Transport: &http.Transport{}}
	get := func(host string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+"/api/status", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET /api/status with Host %s: %v", host, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for host, want := range map[string]int{
		"trainer.lan:" + port: http.StatusOK, "192.0.2.7:8080": http.StatusOK, "127.0.0.1:" + port: http.StatusOK,
		"evil.example:" + port: http.StatusMisdirectedRequest, "192.0.2.7:" + port: http.StatusMisdirectedRequest,
	} {
		if got := get(host); got != want {
			t.Errorf("GET /api/status with Host %s: status %d, want %d", host, got, want)
		}
	}
	client.CloseIdleConnections()
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d, want 0", code)
	}
	var warnings []string
	for _, line := range strings.Split(stderr.tail(1<<20), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "reach") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "other machines") ||
		!strings.Contains(warnings[0], "trainer.lan") || !strings.Contains(warnings[0], "192.0.2.7:8080") {
		t.Errorf("want one warning that other machines can reach the app, naming the allowed hosts; got %q", warnings)
	}
}
