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
	// FlipTTA averages the probabilities of each image and of its mirror
	// image, as the app predicts for a run with flip test-time
	// augmentation (fmnist.Recipe.TTA).
	FlipTTA bool
}

// ArchitectureOf returns the layers of the network spec describes. Widths
// come from the parameters' shapes; dropout is not part of inference. With
// batch norm, each convolution block (conv, relu, pool) is followed by a
// BatchNorm layer over its channels, in evaluation mode: the running
// statistics normalise, as in the app's predictions.
func ArchitectureOf(spec nn.Spec) Architecture {
	var layers []Layer
	for i := 1; i <= 2; i++ {
		layers = append(layers,
			Layer{Kind: Conv, Weight: fmt.Sprintf("conv%d.weight", i), Bias: fmt.Sprintf("conv%d.bias", i), Pad: 1},
			Layer{Kind: Relu},
			Layer{Kind: MaxPool, Kernel: 2})
		if spec.BatchNorm {
			bn := fmt.Sprintf("bn%d.", i)
			layers = append(layers, Layer{Kind: BatchNorm, Scale: bn + "weight", Shift: bn + "bias",
				Mean: bn + "running_mean", Var: bn + "running_var", Epsilon: nn.BatchNormEps})
		}
	}
	layers = append(layers,
		Layer{Kind: Flatten},
		Layer{Kind: Dense, Weight: "fc1.weight", Bias: "fc1.bias"},
		Layer{Kind: Relu},
		Layer{Kind: Dense, Weight: "fc2.weight", Bias: "fc2.bias"})
	return Architecture{Name: spec.Architecture(), Layers: layers, InputMean: data.PixelMean, InputStd: data.PixelStd, Classes: 10, ImageSide: 28}
}
