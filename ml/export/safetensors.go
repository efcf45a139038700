package export

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"

	"github.com/fmnist/trainer/ml/nn"
)

// MaxSafetensorsBytes bounds a safetensors file this package reads: the
// network has about 1.7 MB of weights, so anything near this is not ours.
const MaxSafetensorsBytes = 64 << 20

// EncodeSafetensors lays out params as a safetensors file: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype
// (F32), shape and byte range, then the raw little-endian values.
// metadata goes into the header's "__metadata__".
func EncodeSafetensors(params []nn.Param, metadata map[string]string) ([]byte, error) {
	views := make(map[string]safetensors.TensorView, len(params))
	for _, p := range params {
		if _, dup := views[p.Name]; dup {
			return nil, fmt.Errorf("safetensors: tensor %q appears twice", p.Name)
		}
		shape := make([]uint64, len(p.Shape))
		for i, d := range p.Shape {
			shape[i] = uint64(d)
		}
		raw := make([]byte, 0, 4*len(p.Data))
		for _, v := range p.Data {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		view, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %s: %w", p.Name, err)
		}
		views[p.Name] = view
	}
	out, err := safetensors.Serialize(views, metadata)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return out, nil
}

// DecodeSafetensors reads a safetensors file of float32 tensors and returns
// them in the order of want, each checked against want's name and shape;
// a tensor missing, extra, of another dtype or shape is an error naming
// it. The header's offsets must tile the data exactly (no overlap, no gap,
// nothing out of range), and nothing a header declares is allocated before
// the file is seen to hold it.
func DecodeSafetensors(data []byte, want []Spec) ([]nn.Param, map[string]string, error) {
	if len(data) > MaxSafetensorsBytes {
		return nil, nil, fmt.Errorf("safetensors: %d bytes is over the %d-byte limit", len(data), MaxSafetensorsBytes)
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	_, header, err := safetensors.ReadMetadata(data)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Len() != len(want) {
		return nil, nil, fmt.Errorf("safetensors: %d tensors, the network has %d (%s)", st.Len(), len(want), specNames(want))
	}
	out := make([]nn.Param, len(want))
	for i, w := range want {
		view, ok := st.Tensor(w.Name)
		if !ok {
			return nil, nil, fmt.Errorf("safetensors: no tensor %q, which the network needs", w.Name)
		}
		if view.DType() != safetensors.F32 {
			return nil, nil, fmt.Errorf("safetensors: tensor %s has dtype %s, want F32", w.Name, view.DType())
		}
		shape := make([]int, len(view.Shape()))
		for j, d := range view.Shape() {
			if d > math.MaxInt32 {
				return nil, nil, fmt.Errorf("safetensors: tensor %s has shape %v, the network expects %v", w.Name, view.Shape(), w.Shape)
			}
			shape[j] = int(d)
		}
		if !slices.Equal(shape, w.Shape) {
			return nil, nil, fmt.Errorf("safetensors: tensor %s has shape %v, the network expects %v", w.Name, shape, w.Shape)
		}
		raw := view.Data()
		values := make([]float32, len(raw)/4)
		for j := range values {
			values[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		out[i] = nn.Param{Name: w.Name, Shape: shape, Data: values}
	}
	return out, header.Metadata(), nil
}

// Spec is a tensor's name and shape, as a reader expects it.
type Spec struct {
	Name  string
	Shape []int
}

// SpecsOf lists the names and shapes of params.
func SpecsOf(params []nn.Param) []Spec {
	specs := make([]Spec, len(params))
	for i, p := range params {
		specs[i] = Spec{Name: p.Name, Shape: slices.Clone(p.Shape)}
	}
	return specs
}

func specNames(specs []Spec) string {
	if len(specs) == 0 {
		return "none"
	}
	names := ""
	for i, s := range specs {
		if i > 0 {
			names += ", "
		}
		names += s.Name
	}
	return names
}
