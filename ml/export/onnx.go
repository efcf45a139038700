package export

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/fmnist/trainer/ml/nn"
)

// The ONNX model's fixed names and versions.
const (
	ONNXOpset     = 13
	onnxIRVersion = 7 // the IR version of opset 13 (ONNX 1.8)
	ONNXInput     = "image"
	ONNXOutput    = "probabilities"
	batchDim      = "N"
)

// ONNXMeta is what the model's metadata_props carry.
type ONNXMeta struct {
	ClassNames []string
	AppVersion string
	RunID      int64
}

// EncodeONNX writes the network of arch with weights params as an ONNX
// model (opset 13): input "image" [N,1,28,28] of pixels scaled to [0,1],
// standardised by a Sub and a Div at the front, the layers, and a Softmax
// giving "probabilities" [N,classes] (with arch.FlipTTA, averaged with
// those of the mirror images). The weights are float32 initializers under
// their own names.
func EncodeONNX(arch Architecture, params []nn.Param, meta ONNXMeta) ([]byte, error) {
	m, err := buildONNX(arch, params, meta)
	if err != nil {
		return nil, err
	}
	out, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	return out, nil
}

// graphBuilder appends nodes to a graph, each taking the previous output.
type graphBuilder struct {
	g      *onnx.GraphProto
	last   string // the output of the node added last
	params map[string]nn.Param
	used   map[string]bool
}

func buildONNX(arch Architecture, params []nn.Param, meta ONNXMeta) (*onnx.ModelProto, error) {
	b := &graphBuilder{g: &onnx.GraphProto{Name: "fmnist-cnn"}, last: ONNXInput,
		params: make(map[string]nn.Param, len(params)), used: map[string]bool{}}
	for _, p := range params {
		b.params[p.Name] = p
	}
	side := int64(arch.ImageSide)
	b.g.Input = []*onnx.ValueInfoProto{valueInfo(ONNXInput, dimParam(batchDim), dimValue(1), dimValue(side), dimValue(side))}
	b.constant("input_mean", arch.InputMean)
	b.constant("input_std", arch.InputStd)
	b.node("Sub", "standardise_sub", []string{b.last, "input_mean"})
	b.node("Div", "standardise_div", []string{b.last, "input_std"})
	if arch.FlipTTA {
		// The mirror images follow the images in one batch of 2N: each row
		// of pixels reversed (a Slice of step -1 along the width).
		images := b.last
		b.int64s("mirror_starts", -1)
		b.int64s("mirror_ends", math.MinInt64)
		b.int64s("mirror_axes", 3)
		b.int64s("mirror_steps", -1)
		b.node("Slice", "mirror", []string{images, "mirror_starts", "mirror_ends", "mirror_axes", "mirror_steps"})
		b.node("Concat", "with_mirror", []string{images, b.last}, intAttr("axis", 0))
	}
	for i, l := range arch.Layers {
		if err := b.layer(i, l); err != nil {
			return nil, fmt.Errorf("onnx: layer %d: %w", i+1, err)
		}
	}
	b.node("Softmax", "softmax", []string{b.last}, intAttr("axis", 1))
	if arch.FlipTTA {
		// [2N, classes] → [2, N, classes] → the mean of each image's pair.
		b.int64s("pair_shape", 2, -1, int64(arch.Classes))
		b.node("Reshape", "pair_with_mirror", []string{b.last, "pair_shape"})
		b.node("ReduceMean", "average_with_mirror", []string{b.last}, intsAttr("axes", 0), intAttr("keepdims", 0))
	}
	b.g.Node[len(b.g.Node)-1].Output = []string{ONNXOutput}
	b.g.Output = []*onnx.ValueInfoProto{valueInfo(ONNXOutput, dimParam(batchDim), dimValue(int64(arch.Classes)))}
	for name := range b.params {
		if !b.used[name] {
			return nil, fmt.Errorf("onnx: parameter %s is not used by any layer of %s", name, arch.Name)
		}
	}
	classes, err := json.Marshal(meta.ClassNames)
	if err != nil {
		return nil, fmt.Errorf("onnx: class names: %w", err)
	}
	return &onnx.ModelProto{
		IrVersion:       onnxIRVersion,
		OpsetImport:     []*onnx.OperatorSetIdProto{{Domain: "", Version: ONNXOpset}},
		ProducerName:    "fmnist-trainer",
		ProducerVersion: meta.AppVersion,
		DocString:       "Fashion-MNIST classifier. Input: pixels scaled to [0,1], NCHW. Output: class probabilities.",
		Graph:           b.g,
		MetadataProps: []*onnx.StringStringEntryProto{
			{Key: "class_names", Value: string(classes)},
			{Key: "app_version", Value: meta.AppVersion},
			{Key: "run_id", Value: fmt.Sprint(meta.RunID)},
			{Key: "architecture", Value: arch.Name},
		},
	}, nil
}

// layer appends the nodes of l.
func (b *graphBuilder) layer(i int, l Layer) error {
	name := fmt.Sprintf("layer%d", i+1)
	switch l.Kind {
	case Conv:
		w, err := b.param(l.Weight, 4)
		if err != nil {
			return err
		}
		if _, err := b.param(l.Bias, 1); err != nil {
			return err
		}
		k := int64(w.Shape[2])
		p := int64(l.Pad)
		b.node("Conv", name+"_conv", []string{b.last, l.Weight, l.Bias},
			intsAttr("kernel_shape", k, int64(w.Shape[3])), intsAttr("pads", p, p, p, p), intsAttr("strides", 1, 1))
	case BatchNorm:
		for _, n := range []string{l.Scale, l.Shift, l.Mean, l.Var} {
			if _, err := b.param(n, 1); err != nil {
				return err
			}
		}
		b.node("BatchNormalization", name+"_bn", []string{b.last, l.Scale, l.Shift, l.Mean, l.Var},
			floatAttr("epsilon", l.Epsilon))
	case Relu:
		b.node("Relu", name+"_relu", []string{b.last})
	case MaxPool:
		k := int64(l.Kernel)
		b.node("MaxPool", name+"_pool", []string{b.last}, intsAttr("kernel_shape", k, k), intsAttr("strides", k, k))
	case Flatten:
		b.node("Flatten", name+"_flatten", []string{b.last}, intAttr("axis", 1))
	case Dense:
		if _, err := b.param(l.Weight, 2); err != nil {
			return err
		}
		if _, err := b.param(l.Bias, 1); err != nil {
			return err
		}
		b.node("Gemm", name+"_gemm", []string{b.last, l.Weight, l.Bias}, intAttr("transB", 1))
	default:
		return fmt.Errorf("unknown layer kind %d", l.Kind)
	}
	return nil
}

// param adds parameter name as an initializer and returns it.
func (b *graphBuilder) param(name string, rank int) (nn.Param, error) {
	p, ok := b.params[name]
	if !ok {
		return nn.Param{}, fmt.Errorf("no parameter %q", name)
	}
	if len(p.Shape) != rank {
		return nn.Param{}, fmt.Errorf("parameter %s has shape %v, want rank %d", name, p.Shape, rank)
	}
	if !b.used[name] {
		b.used[name] = true
		dims := make([]int64, len(p.Shape))
		for i, d := range p.Shape {
			dims[i] = int64(d)
		}
		b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_FLOAT),
			Dims: dims, FloatData: p.Data})
	}
	return p, nil
}

// constant adds a float32 scalar initializer.
func (b *graphBuilder) constant(name string, v float32) {
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_FLOAT),
		FloatData: []float32{v}})
}

// int64s adds a 1-D int64 initializer (the shapes and indices some
// operators take as inputs).
func (b *graphBuilder) int64s(name string, v ...int64) {
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_INT64),
		Dims: []int64{int64(len(v))}, Int64Data: v})
}

// node appends an operator that reads inputs and writes a new output,
// which becomes b.last.
func (b *graphBuilder) node(op, name string, inputs []string, attrs ...*onnx.AttributeProto) {
	out := fmt.Sprintf("%s_out", name)
	b.g.Node = append(b.g.Node, &onnx.NodeProto{OpType: op, Name: name, Input: inputs, Output: []string{out}, Attribute: attrs})
	b.last = out
}

func intAttr(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func intsAttr(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

func floatAttr(name string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_FLOAT, F: v}
}

func dimParam(name string) *onnx.TensorShapeProto_Dimension {
	return &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: name}}
}

func dimValue(v int64) *onnx.TensorShapeProto_Dimension {
	return &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: v}}
}

// valueInfo describes a float32 tensor of the given dimensions.
func valueInfo(name string, dims ...*onnx.TensorShapeProto_Dimension) *onnx.ValueInfoProto {
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: dims}}}}}
}
