package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/bundle"
)

// exportPaths are the API paths of a run's model, by --format.
var exportPaths = map[string]string{bundles.FormatBundle: "/bundle", bundles.FormatONNX: "/model.onnx", bundles.FormatSafetensors: "/model.safetensors"}

// addrFlag is the server flag that export and import share with watch.
func addrFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "addr", envString("FMNIST_WATCH_ADDR", "http://127.0.0.1:8080"), "the server's URL (env FMNIST_WATCH_ADDR)")
}

// runExport downloads a run's model from a server into a file.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", stderr)
	var addr, format, out string
	var runID int64
	addrFlag(fs, &addr)
	fs.Int64Var(&runID, "run", 0, "the run to export (required)")
	fs.StringVar(&format, "format", bundles.FormatBundle, "bundle (.fmnist: weights, config, seed, curves), onnx or safetensors")
	fs.StringVar(&out, "o", "", "the file to write (default run-ID.fmnist, .onnx or .safetensors)")
	if err := parseFlags(fs, args); err != nil {
		return flagError(stderr, "export", err)
	}
	path, ok := exportPaths[format]
	switch {
	case fs.NArg() > 0:
		return flagError(stderr, "export", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	case runID < 1:
		return flagError(stderr, "export", errors.New("--run must name a run id (1 or more)"))
	case !ok:
		return flagError(stderr, "export", fmt.Errorf("--format %q: want bundle, onnx or safetensors", format))
	}
	base, err := serverURL(addr)
	if err != nil {
		return flagError(stderr, "export", err)
	}
	if out == "" {
		out = bundles.ExportFileName(runID, format)
	}
	data, err := call(ctx, http.MethodGet, base+"/api/runs/"+strconv.FormatInt(runID, 10)+path, "", nil)
	if err != nil {
		return commandError(ctx, stderr, "export", err)
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		return commandError(ctx, stderr, "export", err)
	}
	fmt.Fprintf(stdout, "run %d exported to %s (%s, %d bytes)\n", runID, out, format, len(data))
	return 0
}

// runImport uploads a bundle to a server, which makes it a run.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", stderr)
	var addr string
	addrFlag(fs, &addr)
	if err := parseFlags(fs, args); err != nil {
		return flagError(stderr, "import", err)
	}
	if fs.NArg() != 1 {
		return flagError(stderr, "import", errors.New("name one .fmnist bundle file: fmnist import FILE"))
	}
	base, err := serverURL(addr)
	if err != nil {
		return flagError(stderr, "import", err)
	}
	file := fs.Arg(0)
	info, err := os.Stat(file)
	if err != nil {
		return commandError(ctx, stderr, "import", err)
	}
	if info.Size() > bundle.MaxBytes {
		return commandError(ctx, stderr, "import", fmt.Errorf("%s is %d bytes; a bundle is at most %d", filepath.Base(file), info.Size(), bundle.MaxBytes))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return commandError(ctx, stderr, "import", err)
	}
	body, err := call(ctx, http.MethodPost, base+"/api/models", "application/zip", data)
	if err != nil {
		return commandError(ctx, stderr, "import", fmt.Errorf("%s: %w", filepath.Base(file), err))
	}
	var got struct {
		RunID int64 `json:"run_id"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return commandError(ctx, stderr, "import", fmt.Errorf("read the server's answer: %w", err))
	}
	fmt.Fprintf(stdout, "imported %s as run %d: %s/runs/%d\n", filepath.Base(file), got.RunID, base, got.RunID)
	return 0
}

// call makes one request and returns the body of a 2xx answer; any other
// answer is an error with the server's message.
func call(ctx context.Context, method, url, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return nil, errors.New(e.Error.Message)
		}
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	return data, nil
}
