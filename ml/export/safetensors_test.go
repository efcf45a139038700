package export_test

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
)

// specExample is the safetensors spec's own example: a header of
// {"TENSOR_NAME":{"dtype":"F16","shape":[1,16,256],"data_offsets":[BEGIN,END]}},
// here as the float32 tensors of this app.
func specFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func TestSafetensorsFollowTheSpecLayout(t *testing.T) {
	params := []nn.Param{{Name: "b", Shape: []int{2}, Data: []float32{1, -2}}, {Name: "a", Shape: []int{1, 1}, Data: []float32{0.5}}}
	got, err := export.EncodeSafetensors(params, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(got)
	header := string(got[8 : 8+n])
	for _, want := range []string{`"__metadata__":{"k":"v"}`, `"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}`, `"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}`} {
		if !strings.Contains(header, want) {
			t.Errorf("header %s lacks %s", header, want)
		}
	}
	// The data follows the header: a (0.5) then b (1, -2), little-endian.
	want := []byte{0, 0, 0, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}
	if body := got[8+n:]; !slices.Equal(body, want) {
		t.Errorf("data % x, want % x", body, want)
	}
	back, meta, err := export.DecodeSafetensors(got, export.SpecsOf(params))
	if err != nil {
		t.Fatal(err)
	}
	if meta["k"] != "v" || back[0].Name != "b" || !slices.Equal(back[0].Data, params[0].Data) || !slices.Equal(back[1].Data, params[1].Data) {
		t.Errorf("read back %v %v", back, meta)
	}
}

func TestSafetensorsRefusals(t *testing.T) {
	specs := []export.Spec{{Name: "w", Shape: []int{2}}}
	for name, c := range map[string]struct {
		file []byte
		want string
	}{
		"huge shape":       {specFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}}`, make([]byte, 8)), "safetensors"},
		"overlap":          {specFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)), "offset"},
		"beyond the data":  {specFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)), "safetensors"},
		"header too long":  {binary.LittleEndian.AppendUint64(nil, 1<<40), "header"},
		"wrong dtype":      {specFile(`{"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}`, make([]byte, 16)), "dtype F64"},
		"wrong shape":      {specFile(`{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}`, make([]byte, 8)), "shape [1 2]"},
		"wrong name":       {specFile(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), `no tensor "w"`},
		"truncated header": {[]byte{5, 0, 0}, "safetensors"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := export.DecodeSafetensors(c.file, specs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func FuzzDecodeSafetensors(f *testing.F) {
	specs := []export.Spec{{Name: "w", Shape: []int{2, 2}}, {Name: "b", Shape: []int{2}}}
	good, err := export.EncodeSafetensors([]nn.Param{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "b", Shape: []int{2}, Data: []float32{5, 6}}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(specFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		params, _, err := export.DecodeSafetensors(data, specs)
		if err != nil {
			return
		}
		for i, p := range params {
			if !slices.Equal(p.Shape, specs[i].Shape) || len(p.Data) != []int{4, 2}[i] {
				t.Fatalf("tensor %s read with shape %v and %d values", p.Name, p.Shape, len(p.Data))
			}
		}
	})
}
