package bundles_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/bundle/bundletest"
	"github.com/fmnist/trainer/fmnist"
)

// TestMalformedImportsLeaveNothingBehind refuses each bad file with an
// EINVALID error and checks that no run row, log line and no file appeared.
func TestMalformedImportsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.trainedRun(t, smallRun)
	good := f.export(t, id, bundles.FormatBundle)
	onnx := f.export(t, id, bundles.FormatONNX)
	filesBefore, _ := os.ReadDir(f.ckptDir)
	runsBefore, _ := f.db.Runs(ctx, 0)
	logsBefore, _ := f.db.RecentLogs(ctx, 0)

	var traversal bytes.Buffer
	zw := zip.NewWriter(&traversal)
	w, _ := zw.Create("../../../tmp/evil.txt")
	w.Write([]byte("x"))
	zw.Close()
	cases := map[string][]byte{
		"truncated":                  good[:len(good)-100],
		"an onnx file":               onnx,
		"path traversal":             traversal.Bytes(),
		"empty":                      nil,
		"unknown key in run.json":    bundletest.Edited(t, good, bundle.FileManifest, func(s string) string { return strings.Replace(s, "kernel_path", "kernel_pathX", 1) }),
		"shapes for another network": bundletest.Edited(t, good, bundle.FileWeights, func(s string) string { return strings.Replace(s, "[128,3136]", "[3136,128]", 1) }),
		"a matrix without epochs": bundletest.Edited(t, good, bundle.FileEpochs, func(s string) string {
			return s[:strings.Index(s, "\n")+1] // the header alone
		}),
	}
	for name, data := range cases {
		_, err := f.bundles.Import(ctx, data)
		if fmnist.ErrorCode(err) != fmnist.EINVALID || !strings.Contains(err.Error(), "cannot be imported") {
			t.Errorf("%s: error %v, want an EINVALID refusal", name, err)
		}
	}
	filesAfter, _ := os.ReadDir(f.ckptDir)
	runsAfter, _ := f.db.Runs(ctx, 0)
	logsAfter, _ := f.db.RecentLogs(ctx, 0)
	if len(filesAfter) != len(filesBefore) || len(runsAfter) != len(runsBefore) || len(logsAfter) != len(logsBefore) {
		t.Errorf("refused imports left %d files (before %d), %d runs (before %d), %d log lines (before %d)",
			len(filesAfter), len(filesBefore), len(runsAfter), len(runsBefore), len(logsAfter), len(logsBefore))
	}
	if _, err := os.Stat("/tmp/evil.txt"); err == nil {
		t.Error("path traversal wrote /tmp/evil.txt")
	}
}
