package export

import (
	"fmt"

	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// LayerKind is one kind of step in a network's forward pass.
type LayerKind int

// The kinds of layer the exporter writes. A network is a straight line of
// them, from the standardised image to the logits.
const (
	// Conv is a 2-D convolution, stride 1, padding Pad on each side; its
	// parameters are Weight [out, in, k, k] and Bias [out].
	Conv LayerKind = iota + 1
	// BatchNorm normalises channels with the running statistics: Scale
	// (γ), Shift (β), Mean and Var, each [channels], and Epsilon.
	BatchNorm
	Relu
	// MaxPool takes the maximum of Kernel×Kernel windows, stride Kernel.
	MaxPool
	// Flatten turns [N, C, H, W] into [N, C·H·W] in NCHW order.
	Flatten
	// Dense is x·Weightᵀ + Bias, Weight [out, in] as PyTorch's Linear.
	Dense
)

// Layer is one step of the forward pass and the names of its parameters.
type Layer struct {
	Kind         LayerKind
	Weight, Bias string // Conv and Dense
	Pad          int    // Conv
	Kernel       int    // MaxPool
	// BatchNorm's parameters and epsilon.
	Scale, Shift, Mean, Var string
	Epsilon                 float32
}

// Architecture is a network the exporter knows: its layers and how its input
// is standardised, (x - InputMean) / InputStd with x a pixel in [0, 1].
type Architecture struct {
	Name                string
	Layers              []Layer
	InputMean, InputStd float32
	Classes             int
	ImageSide           int
}

// cnnLayers is today's network (nn.Architecture): conv-relu-pool twice,
// then two dense layers.
var cnnLayers = []Layer{
	{Kind: Conv, Weight: "conv1.weight", Bias: "conv1.bias", Pad: 1},
	{Kind: Relu},
	{Kind: MaxPool, Kernel: 2},
	{Kind: Conv, Weight: "conv2.weight", Bias: "conv2.bias", Pad: 1},
	{Kind: Relu},
	{Kind: MaxPool, Kernel: 2},
	{Kind: Flatten},
	{Kind: Dense, Weight: "fc1.weight", Bias: "fc1.bias"},
	{Kind: Relu},
	{Kind: Dense, Weight: "fc2.weight", Bias: "fc2.bias"},
}

// ArchitectureOf returns the layers of the network spec describes. Widths
// come from the parameters' shapes; dropout is not part of inference.
// Batch norm (a BatchNorm layer after each convolution, with the running
// statistics as its inputs) is not written yet.
func ArchitectureOf(spec nn.Spec) (Architecture, error) {
	if spec.BatchNorm {
		return Architecture{}, fmt.Errorf("ONNX export of a network with batch norm is not written yet")
	}
	return Architecture{Name: spec.Architecture(), Layers: cnnLayers, InputMean: data.PixelMean, InputStd: data.PixelStd, Classes: 10, ImageSide: 28}, nil
}
