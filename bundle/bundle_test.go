package bundle_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/bundle"
	"github.com/fmnist/trainer/bundle/bundletest"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

func sample(t testing.TB) (bundle.Bundle, []export.Spec) {
	t.Helper()
	net, err := nn.NewNetwork(3, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	params := net.Params()
	for i := range params {
		params[i].Data = append([]float32(nil), params[i].Data...)
	}
	adam := net.AdamState()
	adam.Step = 16
	sums := map[string]string{}
	for _, f := range bundle.DatasetFiles {
		sums[f] = strings.Repeat("ab", 32)
	}
	end := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return bundle.Bundle{
		Manifest: bundle.Manifest{Format: bundle.FormatVersion, AppVersion: "test", RunID: 4, Status: fmnist.StatusFinished,
			StartedAt: end.Add(-time.Minute), EndedAt: end, Config: fmnist.Config{Epochs: 2, BatchSize: 32, LR: 1e-3, Seed: 5, TrainLimit: 256},
			Seed: 5, Preset: "default", Architecture: nn.Architecture, KernelPath: "avx512", DatasetSHA256: sums,
			Model: bundle.ModelState{Epoch: 2, TestAccuracy: 0.5, SavedAt: end, Position: train.Position{TrainImages: 256},
				Optimizer: bundle.Optimizer{Name: "adam", Step: 16, Beta1: adam.Beta1, Beta2: adam.Beta2, Eps: adam.Eps}}},
		Weights: params, Adam: adam,
		Loss:      []fmnist.LossPoint{{Epoch: 0.125, Loss: 2.3}, {Epoch: 1, Loss: 1.1}},
		Epochs:    []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.4, TestLoss: 1.5, TrainLoss: 1.7, ImagesPerSec: 900, Seconds: 0.3}},
		Confusion: nil,
	}, export.SpecsOf(params)
}

func encode(t testing.TB, b bundle.Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestABundleReadsBackAsItWasWritten(t *testing.T) {
	b, specs := sample(t)
	b.Confusion = make([][]int, 10)
	for i := range b.Confusion {
		b.Confusion[i] = make([]int, 10)
		b.Confusion[i][i] = 10 + i
	}
	data := encode(t, b)
	got, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{"manifest": {got.Manifest, b.Manifest}, "weights": {got.Weights, b.Weights},
		"adam": {got.Adam, b.Adam}, "loss": {got.Loss, b.Loss}, "epochs": {got.Epochs, b.Epochs}, "confusion": {got.Confusion, b.Confusion}} {
		if !jsonEqual(t, pair[0], pair[1]) {
			t.Errorf("%s read back differs", name)
		}
	}
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("writing the read bundle again gives other bytes")
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// safetensorsWithHeader is a safetensors file with header h and data.
func safetensorsWithHeader(h string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

// MalformedBundles are the attacks and mistakes an import must refuse,
// each with a piece of the message that says why.
func MalformedBundles(t *testing.T) map[string]struct {
	data []byte
	want string
} {
	b, _ := sample(t)
	good := encode(t, b)
	manifest := bundletest.Entry(t, good, bundle.FileManifest)
	withManifest := func(edit func(map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(manifest, &m)
		edit(m)
		out, _ := json.Marshal(m)
		return bundletest.Rezip(t, good, bundle.FileManifest, out, nil)
	}
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	f, _ := zw.Create(bundle.FileLoss)
	zeros := make([]byte, 1<<20)
	for range 40 {
		f.Write(zeros)
	}
	zw.Close()
	many := map[string][]byte{}
	for i := range 9 {
		many[strings.Repeat("x", i+1)+".txt"] = []byte("x")
	}
	weights := bundletest.Entry(t, good, bundle.FileWeights)
	return map[string]struct {
		data []byte
		want string
	}{
		"zip bomb":             {bomb.Bytes(), "zip bomb"},
		"too many entries":     {bundletest.Rezip(t, good, "", nil, many), "entries"},
		"path traversal":       {bundletest.Rezip(t, good, "", nil, map[string][]byte{"../../etc/passwd": []byte("x")}), "outside the bundle"},
		"absolute path":        {bundletest.Rezip(t, good, "", nil, map[string][]byte{"/tmp/x": []byte("x")}), "outside the bundle"},
		"unknown entry":        {bundletest.Rezip(t, good, "", nil, map[string][]byte{"evil.sh": []byte("x")}), "not part of a bundle"},
		"huge shape":           {bundletest.Rezip(t, good, bundle.FileWeights, safetensorsWithHeader(`{"conv1.weight":{"dtype":"F32","shape":[100000,100000,100000],"data_offsets":[0,16]}}`, make([]byte, 16)), nil), "safetensors"},
		"overlapping offsets":  {bundletest.Rezip(t, good, bundle.FileWeights, safetensorsWithHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)), nil), "offset"},
		"out-of-range offsets": {bundletest.Rezip(t, good, bundle.FileWeights, safetensorsWithHeader(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 8)), nil), "safetensors"},
		"wrong dtype":          {bundletest.Rezip(t, good, bundle.FileWeights, bytes.Replace(weights, []byte(`"F32"`), []byte(`"F64"`), 1), nil), "safetensors"},
		"wrong architecture":   {bundletest.Rezip(t, good, bundle.FileWeights, safetensorsWithHeader(`{"conv1.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), nil), "tensors, the network has"},
		"truncated":            {good[:len(good)/2], "zip"},
		"not a zip":            {weights, "not a .fmnist bundle"},
		"unknown field":        {withManifest(func(m map[string]any) { m["surprise"] = 1 }), "unknown field"},
		"missing field":        {withManifest(func(m map[string]any) { delete(m, "kernel_path") }), `lacks the key "kernel_path"`},
		"missing nested field": {withManifest(func(m map[string]any) { delete(m["config"].(map[string]any), "seed") }), `lacks the key "seed"`},
		"bad config":           {withManifest(func(m map[string]any) { m["config"].(map[string]any)["lr"] = -1 }), "lr"},
		"missing weights":      {bundletest.Rezip(t, good, bundle.FileWeights, nil, nil), "lacks model.safetensors"},
		"bad loss csv":         {bundletest.Rezip(t, good, bundle.FileLoss, []byte("epoch,loss,lr\n1,abc,0.001\n"), nil), "not a number"},
	}
}

func TestMalformedBundlesAreRefusedSayingWhy(t *testing.T) {
	_, specs := sample(t)
	for name, c := range MalformedBundles(t) {
		t.Run(name, func(t *testing.T) {
			_, err := bundle.Read(c.data, bundle.Fixed(nn.Architecture, specs))
			if err == nil {
				t.Fatal("read without an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// FuzzRead feeds the reader mutations of a small bundle: the real
// manifest and history with a two-tensor "network", so that the fuzzer
// spends its time on the format rather than on megabytes of weights.
func FuzzRead(f *testing.F) {
	b, _ := sample(f)
	b.Weights = []nn.Param{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "b", Shape: []int{2}, Data: []float32{5, 6}}}
	b.Adam.M = [][]float32{{0, 0, 0, 0}, {0, 0}}
	b.Adam.V = [][]float32{{1, 1, 1, 1}, {1, 1}}
	specs := export.SpecsOf(b.Weights)
	good := encode(f, b)
	if _, err := bundle.Read(good, bundle.Fixed(nn.Architecture, specs)); err != nil {
		f.Fatalf("the seed does not read: %v", err)
	}
	f.Add(good)
	f.Add(good[:200])
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := bundle.Read(data, bundle.Fixed(nn.Architecture, specs))
		if err != nil {
			return
		}
		// Whatever reads must hold the network's tensors and write again.
		if len(got.Weights) != len(specs) {
			t.Fatalf("read %d tensors, want %d", len(got.Weights), len(specs))
		}
		var buf bytes.Buffer
		if err := bundle.Write(&buf, got); err != nil {
			t.Fatalf("a bundle that reads does not write: %v", err)
		}
	})
}
