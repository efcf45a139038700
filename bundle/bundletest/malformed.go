package bundletest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fmnist/trainer/bundle"
)

// Case is a file an import must refuse, and a piece of the message that
// says why.
type Case struct {
	Data []byte
	Want string
}

// Malformed are the attacks and mistakes an import must refuse, made from
// good, a sound bundle.
func Malformed(tb testing.TB, good []byte) map[string]Case {
	tb.Helper()
	manifest := Entry(tb, good, bundle.FileManifest)
	withManifest := func(edit func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(manifest, &m); err != nil {
			tb.Fatal(err)
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			tb.Fatal(err)
		}
		return Rezip(tb, good, bundle.FileManifest, out, nil)
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
	weights := Entry(tb, good, bundle.FileWeights)
	withWeights := func(w []byte) []byte { return Rezip(tb, good, bundle.FileWeights, w, nil) }
	return map[string]Case{
		"zip bomb":             {bomb.Bytes(), "zip bomb"},
		"too many entries":     {Rezip(tb, good, "", nil, many), "entries"},
		"path traversal":       {Rezip(tb, good, "", nil, map[string][]byte{"../../etc/passwd": []byte("x")}), "outside the bundle"},
		"absolute path":        {Rezip(tb, good, "", nil, map[string][]byte{"/tmp/x": []byte("x")}), "outside the bundle"},
		"unknown entry":        {Rezip(tb, good, "", nil, map[string][]byte{"evil.sh": []byte("x")}), "not part of a bundle"},
		"huge shape":           {withWeights(safetensorsWithHeader(`{"conv1.weight":{"dtype":"F32","shape":[100000,100000,100000],"data_offsets":[0,16]}}`, make([]byte, 16))), "safetensors"},
		"overlapping offsets":  {withWeights(safetensorsWithHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12))), "offset"},
		"out-of-range offsets": {withWeights(safetensorsWithHeader(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, make([]byte, 8))), "safetensors"},
		"wrong dtype":          {withWeights(bytes.Replace(weights, []byte(`"F32"`), []byte(`"F64"`), 1)), "safetensors"},
		"wrong architecture":   {withWeights(safetensorsWithHeader(`{"conv1.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))), "tensors, the network has"},
		"truncated":            {good[:len(good)/2], "zip"},
		"not a zip":            {weights, "not a .fmnist bundle"},
		"unknown field":        {withManifest(func(m map[string]any) { m["surprise"] = 1 }), "unknown field"},
		"missing field":        {withManifest(func(m map[string]any) { delete(m, "kernel_path") }), `lacks the key "kernel_path"`},
		"missing nested field": {withManifest(func(m map[string]any) { delete(m["config"].(map[string]any), "seed") }), `lacks the key "seed"`},
		"bad config":           {withManifest(func(m map[string]any) { m["config"].(map[string]any)["lr"] = -1 }), "lr"},
		"missing weights":      {Rezip(tb, good, bundle.FileWeights, nil, nil), "lacks model.safetensors"},
		"bad loss csv":         {Rezip(tb, good, bundle.FileLoss, []byte("epoch,loss,lr\n1,abc,0.001\n"), nil), "not a number"},
	}
}

// safetensorsWithHeader is a safetensors file with header h and data.
func safetensorsWithHeader(h string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}
