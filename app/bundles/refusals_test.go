package bundles_test

import (
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
// EINVALID error saying why, and checks that no run row, log line or
// checkpoint file appeared.
func TestMalformedImportsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.trainedRun(t, smallRun)
	good := f.export(t, id, bundles.FormatBundle)
	onnx := f.export(t, id, bundles.FormatONNX)
	filesBefore, _ := os.ReadDir(f.ckptDir)
	runsBefore, _ := f.db.Runs(ctx, 0)
	logsBefore, _ := f.db.RecentLogs(ctx, 0)

	// Every attack the bundle reader refuses, made from this run's bundle,
	// and what only a real run's bundle can get wrong.
	cases := bundletest.Malformed(t, good)
	cases["an onnx file"] = bundletest.Case{Data: onnx, Want: "not a .fmnist bundle"}
	cases["empty"] = bundletest.Case{Data: nil, Want: "not a .fmnist bundle"}
	cases["shapes for another network"] = bundletest.Case{Want: "the network expects",
		Data: bundletest.Edited(t, good, bundle.FileWeights, func(s string) string { return strings.Replace(s, "[128,3136]", "[3136,128]", 1) })}
	cases["a matrix without epochs"] = bundletest.Case{Want: "no epoch it could belong to",
		Data: bundletest.Edited(t, good, bundle.FileEpochs, func(s string) string { return s[:strings.Index(s, "\n")+1] })} // the header alone
	for name, c := range cases {
		_, err := f.bundles.Import(ctx, c.Data)
		if fmnist.ErrorCode(err) != fmnist.EINVALID || !strings.Contains(err.Error(), "cannot be imported") || !strings.Contains(err.Error(), c.Want) {
			t.Errorf("%s: error %v, want an EINVALID refusal saying %q", name, err, c.Want)
		}
	}
	filesAfter, _ := os.ReadDir(f.ckptDir)
	runsAfter, _ := f.db.Runs(ctx, 0)
	logsAfter, _ := f.db.RecentLogs(ctx, 0)
	if len(filesAfter) != len(filesBefore) || len(runsAfter) != len(runsBefore) || len(logsAfter) != len(logsBefore) {
		t.Errorf("refused imports left %d files (before %d), %d runs (before %d), %d log lines (before %d)",
			len(filesAfter), len(filesBefore), len(runsAfter), len(runsBefore), len(logsAfter), len(logsBefore))
	}
}
