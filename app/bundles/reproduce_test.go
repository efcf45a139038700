package bundles_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/app/bundles"
	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/bundle/bundletest"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

// TestReproducingABundleIsBitIdentical imports a bundle and reproduces it:
// on the same kernel path the new run's final weights equal the bundle's
// bit for bit, and its log says what it reproduces.
func TestReproducingABundleIsBitIdentical(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.trainedRun(t, smallRun)
	data, imported := f.exportDeleteImport(t, id)
	rep, err := f.bundles.Reproduce(ctx, imported.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Warning != "" || rep.Config != smallRun {
		t.Errorf("reproduction %+v: want the same config and no warning on the same kernel path", rep)
	}
	waitEnded(t, f.svc, rep.RunID)
	original := readBundle(t, data, smallRun)
	again := readBundle(t, f.export(t, rep.RunID, bundles.FormatBundle), smallRun)
	for i, p := range original.Weights {
		if !slices.Equal(bitsOf(p.Data), bitsOf(again.Weights[i].Data)) {
			t.Errorf("%s differs after reproducing on the %s kernel path", p.Name, nn.KernelPath())
		}
	}
	logs, _, _ := f.svc.RunLogs(ctx, rep.RunID, fmnist.LogQuery{})
	if !slices.ContainsFunc(logs, func(e fmnist.LogEntry) bool { return strings.Contains(e.Message, "reproduces run") }) {
		t.Errorf("the reproduction's log does not say what it reproduces")
	}
}

// TestReproduceChecksTheDatasetAndWarnsOfAnotherKernelPath imports bundles
// whose run.json names another kernel path (a warning; the run starts) and
// another dataset (refused before anything starts).
func TestReproduceChecksTheDatasetAndWarnsOfAnotherKernelPath(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	good := f.export(t, f.trainedRun(t, smallRun), bundles.FormatBundle)

	otherKernel := bundletest.Edited(t, good, bundle.FileManifest, func(s string) string {
		return strings.Replace(s, `"kernel_path": "`+nn.KernelPath()+`"`, `"kernel_path": "elsewhere"`, 1)
	})
	run, err := f.bundles.Import(ctx, otherKernel)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.bundles.Reproduce(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Warning, "elsewhere kernel path") {
		t.Errorf("warning %q does not name the other kernel path", rep.Warning)
	}
	waitEnded(t, f.svc, rep.RunID)

	sum := readBundle(t, good, smallRun).Manifest.DatasetSHA256[bundle.DatasetFiles[0]]
	otherData := bundletest.Edited(t, good, bundle.FileManifest, func(s string) string { return strings.Replace(s, sum, strings.Repeat("0", 64), 1) })
	if run, err = f.bundles.Import(ctx, otherData); err != nil {
		t.Fatal(err)
	}
	runsBefore, _ := f.db.Runs(ctx, 0)
	if _, err := f.bundles.Reproduce(ctx, run.ID); fmnist.ErrorCode(err) != fmnist.ECONFLICT || !strings.Contains(err.Error(), bundle.DatasetFiles[0]) {
		t.Errorf("reproducing on another dataset: %v, want a conflict naming %s", err, bundle.DatasetFiles[0])
	}
	if runsAfter, _ := f.db.Runs(ctx, 0); len(runsAfter) != len(runsBefore) {
		t.Errorf("a refused reproduction recorded a run")
	}
}
