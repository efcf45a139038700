package export_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/data/datatest"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// needTool skips (or, under CI=true, fails) a test whose outside tool is
// missing.
func needTool(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing; CI must install it (.ci/run)", what)
	}
	t.Skipf("%s is missing", what)
}

// repoRoot is the module root, where node_modules lives.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// presets are the presets' configs, each exported and checked: the
// baseline, bn (batch norm) and best (batch norm, flip test-time
// augmentation).
func presets(t *testing.T) map[string]fmnist.Config {
	t.Helper()
	configs := map[string]fmnist.Config{}
	for _, name := range fmnist.Presets {
		cfg, ok := fmnist.Preset(name)
		if !ok {
			t.Fatalf("no preset %q", name)
		}
		configs[name] = cfg
	}
	if bn, best := configs[fmnist.PresetBN], configs[fmnist.PresetBest]; !bn.BatchNorm || !best.BatchNorm || !best.TTA {
		t.Fatal("the bn and best presets no longer have batch norm, or best flip TTA; this test means to cover them")
	}
	return configs
}

// architectureOf is what the app exports for a run of cfg.
func architectureOf(cfg fmnist.Config) export.Architecture {
	arch := export.ArchitectureOf(train.NetworkSpec(cfg))
	arch.FlipTTA = cfg.TTA
	return arch
}

// trainedNetwork is a network of spec after a few steps on synthetic
// images, so that its weights and batch-norm statistics are not the
// initial ones.
func trainedNetwork(t *testing.T, spec nn.Spec) *nn.Network {
	t.Helper()
	net, err := nn.NewNetworkSpec(7, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	pixels, labels := datatest.Synthetic(64*5, 3)
	x := normalize(pixels)
	for b := range 5 {
		if _, err := net.TrainStep(x[b*64*784:(b+1)*64*784], labels[b*64:(b+1)*64]); err != nil {
			t.Fatal(err)
		}
	}
	return net
}

func normalize(pixels []uint8) []float32 {
	x := make([]float32, len(pixels))
	for i, v := range pixels {
		x[i] = data.NormalizePixel(v)
	}
	return x
}

func exportONNX(t *testing.T, net *nn.Network, cfg fmnist.Config) string {
	t.Helper()
	model, err := export.EncodeONNX(architectureOf(cfg), net.Params(), export.ONNXMeta{
		ClassNames: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		AppVersion: "test", RunID: 42})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, model, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestONNXPassesTheCheckerOfPythonONNX runs onnx.checker.check_model with
// full_check (Debian's python3-onnx) on the model exported from each
// preset's network.
func TestONNXPassesTheCheckerOfPythonONNX(t *testing.T) {
	python := "/usr/bin/python3"
	needTool(t, exec.Command(python, "-c", "import onnx").Run() == nil, "python3-onnx (apt-get install python3-onnx)")
	for preset, cfg := range presets(t) {
		t.Run(preset, func(t *testing.T) { checkONNX(t, python, cfg) })
	}
}

func checkONNX(t *testing.T, python string, cfg fmnist.Config) {
	path := exportONNX(t, trainedNetwork(t, train.NetworkSpec(cfg)), cfg)
	out, err := exec.Command(python, "testdata/check_onnx.py", path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker refused the model: %v\n%s", err, out)
	}
	var got struct {
		Opset    []int64
		Inputs   []string
		Outputs  []string
		Ops      []string
		Metadata map[string]string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read the checker's answer %q: %v", out, err)
	}
	if !slices.Equal(got.Opset, []int64{13}) || !slices.Equal(got.Inputs, []string{"image"}) || !slices.Equal(got.Outputs, []string{"probabilities"}) {
		t.Errorf("opset %v, inputs %v, outputs %v; want [13], [image], [probabilities]", got.Opset, got.Inputs, got.Outputs)
	}
	want := []string{"Conv", "Div", "Flatten", "Gemm", "MaxPool", "Relu", "Softmax", "Sub"}
	if cfg.BatchNorm {
		want = append(want, "BatchNormalization")
	}
	if cfg.TTA {
		want = append(want, "Concat", "ReduceMean", "Reshape", "Slice")
	}
	slices.Sort(want)
	if !slices.Equal(got.Ops, want) {
		t.Errorf("operators %v, want %v", got.Ops, want)
	}
	if got.Metadata["run_id"] != "42" || got.Metadata["app_version"] != "test" || len(got.Metadata["class_names"]) < 20 {
		t.Errorf("metadata %v lacks the run id, app version or class names", got.Metadata)
	}
}

// TestONNXRuntimeAgreesWithTheApp runs the exported model in npm's
// onnxruntime-node on 256 images of raw pixels scaled to [0,1] and
// compares its probabilities with the network's own: within 1e-4 each,
// and the same predicted class for every image. Each preset's network is
// checked, so batch norm's evaluation mode and flip test-time augmentation
// (the app's predictions of a run with it) are too.
func TestONNXRuntimeAgreesWithTheApp(t *testing.T) {
	root := repoRoot(t)
	_, nodeErr := exec.LookPath("node")
	_, ortErr := os.Stat(filepath.Join(root, "node_modules", "onnxruntime-node"))
	needTool(t, nodeErr == nil && ortErr == nil, "node with onnxruntime-node (npm ci)")
	for preset, cfg := range presets(t) {
		t.Run(preset, func(t *testing.T) { compareWithONNXRuntime(t, root, cfg) })
	}
}

func compareWithONNXRuntime(t *testing.T, root string, cfg fmnist.Config) {
	const n = 256
	net := trainedNetwork(t, train.NetworkSpec(cfg))
	path := exportONNX(t, net, cfg)
	pixels, labels := datatest.Synthetic(n, 99)
	// The app's own predictions: those of the predictions panel and API.
	set := data.Set{Images: pixels, Labels: labels, Count: n, Rows: 28, Cols: 28}
	predictions, err := train.PredictIndicesTTA(net, &set, train.RandomIndices(n, n, 0), cfg.TTA)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, n*10)
	for _, p := range predictions {
		for c, v := range p.Probabilities {
			want[p.Index*10+c] = float32(v)
		}
	}
	scaled := make([]byte, 0, 4*len(pixels))
	for _, v := range pixels {
		scaled = binary.LittleEndian.AppendUint32(scaled, math.Float32bits(float32(v)/255))
	}
	images := filepath.Join(t.TempDir(), "images.f32")
	if err := os.WriteFile(images, scaled, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "ml/export/testdata/run_onnx.cjs", path, images, "256")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, stderrOf(err))
	}
	var got struct {
		Dims []int
		Data []float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read onnxruntime's answer: %v", err)
	}
	if !slices.Equal(got.Dims, []int{n, 10}) || len(got.Data) != n*10 {
		t.Fatalf("onnxruntime gave dims %v with %d values, want [256 10]", got.Dims, len(got.Data))
	}
	worst := 0.0
	for i := range n {
		row := got.Data[i*10 : (i+1)*10]
		ours := want[i*10 : (i+1)*10]
		for c := range 10 {
			worst = max(worst, math.Abs(row[c]-float64(ours[c])))
		}
		theirs := make([]float32, 10)
		for c := range 10 {
			theirs[c] = float32(row[c])
		}
		if a, b := nn.IndexOfMax(theirs), nn.IndexOfMax(ours); a != b {
			t.Errorf("image %d: onnxruntime predicts class %d, the app %d", i, a, b)
		}
	}
	if worst > 1e-4 {
		t.Errorf("largest difference of a probability is %g, want at most 1e-4", worst)
	}
	t.Logf("256 images: largest difference of a probability %.3g", worst)
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
