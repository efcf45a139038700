package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportThenImportFromTheCommandLine trains a run on a server, exports
// it with `export` in each format, deletes it and loads the bundle back
// with `import`; a file that is not a bundle is refused in one line.
func TestExportThenImportFromTheCommandLine(t *testing.T) {
	dataDir := t.TempDir()
	var out bytes.Buffer
	if code := runPrepare(context.Background(), []string{"--data-dir", dataDir, "--dataset-url", syntheticSource(t, 512, 64)}, &out, &out); code != 0 {
		t.Fatalf("prepare exited %d: %s", code, out.String())
	}
	port, serveLog, stopServe := serveInBackground(t, "--data-dir", dataDir, "--addr", "127.0.0.1:0")
	defer func() {
		if code := stopServe(); code != 0 {
			t.Errorf("serve exited %d:\n%s", code, serveLog.tail(2000))
		}
	}()
	server := "http://127.0.0.1:" + port
	resp, err := http.Post(server+"/api/training", "application/json", strings.NewReader(`{"epochs":1,"train_limit":256}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitFor(t, "the run's end", func() bool { return serverStatus(t, server).Training.Status == "finished" })

	dir := t.TempDir()
	file := filepath.Join(dir, "run1.fmnist")
	for _, format := range []string{"onnx", "safetensors", "bundle"} {
		var stdout, stderr bytes.Buffer
		args := []string{"export", "--addr", server, "--run", "1", "--format", format, "-o", file}
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("export --format %s exited %d: %s", format, code, stderr.String())
		}
		if info, err := os.Stat(file); err != nil || info.Size() < 1<<20 {
			t.Fatalf("export --format %s wrote %v (%v)", format, info, err)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, server+"/api/runs/1", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete run 1: %v %v", resp, err)
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"import", "--addr", server, file}, &stdout, &stderr); code != 0 {
		t.Fatalf("import exited %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported run1.fmnist as run") {
		t.Errorf("import said %q", stdout.String())
	}

	bad := filepath.Join(dir, "notes.txt")
	os.WriteFile(bad, []byte("hello"), 0o600)
	stdout.Reset()
	stderr.Reset()
	code := run(context.Background(), []string{"import", "--addr", server, bad}, &stdout, &stderr)
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "not a .fmnist bundle") {
		t.Errorf("import of a text file exited %d with %q", code, stderr.String())
	}
}
