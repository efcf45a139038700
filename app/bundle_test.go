package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
)

// trainedRun trains a short run to its end and returns its id.
func trainedRun(t *testing.T, svc *app.Service, cfg fmnist.Config) int64 {
	t.Helper()
	id, err := svc.StartTraining(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitState(t, svc, "the run's end", ended(id)); st.Training.Status != fmnist.StatusFinished {
		t.Fatalf("run %d ended as %s: %s", id, st.Training.Status, st.Training.Reason)
	}
	return id
}

func exportRun(t *testing.T, svc *app.Service, id int64, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := svc.Export(context.Background(), id, format, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exportDeleteImport exports run id as a bundle, deletes the run and
// imports the bundle: the bundle and the imported run.
func exportDeleteImport(t *testing.T, svc *app.Service, id int64) ([]byte, fmnist.Run) {
	t.Helper()
	data := exportRun(t, svc, id, app.FormatBundle)
	if err := svc.DeleteRun(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	run, err := svc.Import(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	return data, run
}

var smallRun = fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.002, Seed: 11, TrainLimit: 256}

// TestExportDeleteImportPredictsTheSame exports a run, deletes it, imports
// the bundle and checks that the imported run predicts exactly as the
// original did, with its curve, results and config as they were; then
// that a fork of the imported run trains.
func TestExportDeleteImportPredictsTheSame(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	id := trainedRun(t, svc, smallRun)
	indices := []int{0, 1, 2, 3, 5, 8, 13, 21}
	before, err := svc.PredictFrom(ctx, fmnist.PredictionRequest{RunID: id, Indices: indices})
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := svc.LossPoints(ctx, id)
	epochs, _ := svc.EpochResults(ctx, id)
	_, run := exportDeleteImport(t, svc, id)
	if run.Kind != fmnist.KindImported || run.Config != smallRun || run.Status != fmnist.StatusFinished {
		t.Errorf("imported run %+v, want kind imported, config %+v, finished", run, smallRun)
	}
	after, err := svc.PredictFrom(ctx, fmnist.PredictionRequest{RunID: run.ID, Indices: indices})
	if err != nil {
		t.Fatal(err)
	}
	for i := range before.Items {
		if before.Items[i].Probabilities != after.Items[i].Probabilities || before.Items[i].Predicted != after.Items[i].Predicted {
			t.Errorf("image %d: imported run predicts %v, the original %v", indices[i], after.Items[i].Probabilities, before.Items[i].Probabilities)
		}
	}
	if !reflect.DeepEqual(before.Accuracy, after.Accuracy) {
		t.Errorf("test accuracy %+v after import, %+v before", after.Accuracy, before.Accuracy)
	}
	gotLoss, _ := svc.LossPoints(ctx, run.ID)
	gotEpochs, _ := svc.EpochResults(ctx, run.ID)
	if !slices.Equal(gotLoss, loss) || !slices.Equal(gotEpochs, epochs) {
		t.Errorf("imported curve or epochs differ: %d/%d points, %v vs %v", len(gotLoss), len(loss), gotEpochs, epochs)
	}
	// A fork of the imported run continues from its model.
	cks, _ := svc.RunCheckpoints(ctx, run.ID)
	more := 3
	fork, err := svc.Fork(ctx, run.ID, cks[len(cks)-1].ID, fmnist.ConfigChanges{Epochs: &more})
	if err != nil {
		t.Fatalf("fork of an imported run: %v", err)
	}
	waitState(t, svc, "the fork's end", ended(fork))
}

// TestReproducingABundleIsBitIdentical imports a bundle and reproduces it:
// on the same kernel path the new run's final weights equal the bundle's
// bit for bit.
func TestReproducingABundleIsBitIdentical(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	id := trainedRun(t, svc, smallRun)
	data, imported := exportDeleteImport(t, svc, id)
	rep, err := svc.Reproduce(ctx, imported.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Warning != "" || rep.Config != smallRun {
		t.Errorf("reproduction %+v: want the same config and no warning on the same kernel path", rep)
	}
	waitState(t, svc, "the reproduction's end", ended(rep.RunID))
	original, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs(t)))
	if err != nil {
		t.Fatal(err)
	}
	again, err := bundle.Read(exportRun(t, svc, rep.RunID, app.FormatBundle), bundle.Fixed(nn.Architecture, specs(t)))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range original.Weights {
		if !slices.Equal(bitsOf(p.Data), bitsOf(again.Weights[i].Data)) {
			t.Errorf("%s differs after reproducing on the %s kernel path", p.Name, nn.KernelPath())
		}
	}
}

func bitsOf(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}

// withEntry is bundle data with entry name's text edited.
func withEntry(t *testing.T, data []byte, name string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			content = []byte(edit(string(content)))
		}
		w, _ := zw.Create(f.Name)
		w.Write(content)
	}
	zw.Close()
	return buf.Bytes()
}

func specs(t *testing.T) []export.Spec {
	net, err := nn.NewNetwork(0, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	return export.SpecsOf(net.Params())
}

// TestMalformedImportsLeaveNothingBehind refuses each bad file with an
// EINVALID error and checks that no run row and no file appeared.
func TestMalformedImportsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	id := trainedRun(t, svc, smallRun)
	good := exportRun(t, svc, id, app.FormatBundle)
	onnx := exportRun(t, svc, id, app.FormatONNX)
	ckptDir := filepath.Join(f.dataDir, "checkpoints")
	filesBefore, _ := os.ReadDir(ckptDir)
	runsBefore, _ := f.db.Runs(ctx, 0)

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
		"unknown key in run.json":    withEntry(t, good, bundle.FileManifest, func(s string) string { return strings.Replace(s, "kernel_path", "kernel_pathX", 1) }),
		"shapes for another network": withEntry(t, good, bundle.FileWeights, func(s string) string { return strings.Replace(s, "[128,3136]", "[3136,128]", 1) }),
	}
	for name, data := range cases {
		_, err := svc.Import(ctx, data)
		if fmnist.ErrorCode(err) != fmnist.EINVALID || !strings.Contains(err.Error(), "cannot be imported") {
			t.Errorf("%s: error %v, want an EINVALID refusal", name, err)
		}
	}
	filesAfter, _ := os.ReadDir(ckptDir)
	runsAfter, _ := f.db.Runs(ctx, 0)
	if len(filesAfter) != len(filesBefore) || len(runsAfter) != len(runsBefore) {
		t.Errorf("refused imports left %d files (before %d) and %d runs (before %d)", len(filesAfter), len(filesBefore), len(runsAfter), len(runsBefore))
	}
	if _, err := os.Stat("/tmp/evil.txt"); err == nil {
		t.Error("path traversal wrote /tmp/evil.txt")
	}
}

// TestReproduceChecksTheDatasetAndWarnsOfAnotherKernelPath imports bundles
// whose run.json names another kernel path (a warning; the run starts) and
// another dataset (refused before anything starts).
func TestReproduceChecksTheDatasetAndWarnsOfAnotherKernelPath(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	svc := f.svc
	good := exportRun(t, svc, trainedRun(t, svc, smallRun), app.FormatBundle)

	otherKernel := withEntry(t, good, bundle.FileManifest, func(s string) string {
		return strings.Replace(s, `"kernel_path": "`+nn.KernelPath()+`"`, `"kernel_path": "elsewhere"`, 1)
	})
	run, err := svc.Import(ctx, otherKernel)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Reproduce(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Warning, "elsewhere kernel path") {
		t.Errorf("warning %q does not name the other kernel path", rep.Warning)
	}
	waitState(t, svc, "the reproduction's end", ended(rep.RunID))

	b, err := bundle.Read(good, bundle.Fixed(nn.Architecture, specs(t)))
	if err != nil {
		t.Fatal(err)
	}
	sum := b.Manifest.DatasetSHA256[bundle.DatasetFiles[0]]
	otherData := withEntry(t, good, bundle.FileManifest, func(s string) string { return strings.Replace(s, sum, strings.Repeat("0", 64), 1) })
	if run, err = svc.Import(ctx, otherData); err != nil {
		t.Fatal(err)
	}
	runsBefore, _ := f.db.Runs(ctx, 0)
	if _, err := svc.Reproduce(ctx, run.ID); fmnist.ErrorCode(err) != fmnist.ECONFLICT || !strings.Contains(err.Error(), bundle.DatasetFiles[0]) {
		t.Errorf("reproducing on another dataset: %v, want a conflict naming %s", err, bundle.DatasetFiles[0])
	}
	if runsAfter, _ := f.db.Runs(ctx, 0); len(runsAfter) != len(runsBefore) {
		t.Errorf("a refused reproduction recorded a run")
	}
}

// TestBundleHoldsTheLastEpochsConfusionMatrix exports a trained run: its
// bundle carries the confusion matrix of the run's last epoch, as stored.
func TestBundleHoldsTheLastEpochsConfusionMatrix(t *testing.T) {
	ctx := context.Background()
	f := newService(t, filepath.Join(t.TempDir(), "data"), writeSource(t), true, nil)
	id := trainedRun(t, f.svc, smallRun)
	analyses, err := f.svc.EpochAnalyses(ctx, id)
	if err != nil || len(analyses) != smallRun.Epochs {
		t.Fatalf("the run has %d epoch analyses (%v), want %d", len(analyses), err, smallRun.Epochs)
	}
	b, err := bundle.Read(exportRun(t, f.svc, id, app.FormatBundle), bundle.Fixed(nn.Architecture, specs(t)))
	if err != nil {
		t.Fatal(err)
	}
	last := analyses[len(analyses)-1].Confusion
	if len(b.Confusion) != len(last) {
		t.Fatalf("the bundle's confusion matrix has %d rows, want %d", len(b.Confusion), len(last))
	}
	for i := range last {
		if !slices.Equal(b.Confusion[i], last[i][:]) {
			t.Errorf("row %d of the bundle's matrix is %v, the last epoch's %v", i, b.Confusion[i], last[i])
		}
	}
}
