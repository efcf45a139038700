package nn

import (
	"fmt"
	"math"
	"slices"
)

// Spec is the shape of a network and how it trains: the widths of its two
// convolutions and hidden dense layer, batch normalisation after each
// convolution block, dropout before the last layer, the optimiser and its
// constants, and label smoothing of the targets.
type Spec struct {
	Conv1, Conv2, Dense int
	BatchNorm           bool
	Dropout             float64 // fraction of the hidden units dropped while training

	Optimizer   string  // OptimizerAdam, OptimizerAdamW or OptimizerSGD
	LR          float64 // the starting learning rate (see Network.SetLR)
	WeightDecay float64
	Momentum    float64 // SGD's Nesterov momentum

	LabelSmoothing float64
}

// The optimisers, named as in fmnist.
const (
	OptimizerAdam  = "adam"
	OptimizerAdamW = "adamw"
	OptimizerSGD   = "sgd"
)

var optimizers = []string{OptimizerAdam, OptimizerAdamW, OptimizerSGD}

// DefaultSpec is the baseline network, trained by Adam at lr: the PyTorch
// reference's.
func DefaultSpec(lr float64) Spec {
	return Spec{Conv1: 32, Conv2: 64, Dense: 128, Optimizer: OptimizerAdam, LR: lr}
}

// Architecture names the network's input scaling and layers; checkpoints
// record it so that weights are only loaded into the network they came from
// and fed the input they were trained on (see data.Set.Normalize). The
// baseline's is the constant Architecture, as before recipes existed.
func (s Spec) Architecture() string {
	bn := ""
	if s.BatchNorm {
		bn = "-bn"
	}
	return fmt.Sprintf("fmnist-cnn/v2 input(x/255-0.2860)/0.3530-conv3x3(1>%d,p1)-relu-maxpool2%s-conv3x3(%d>%d,p1)-relu-maxpool2%s-dense(%d>%d)-relu-dense(%d>10)",
		s.Conv1, bn, s.Conv1, s.Conv2, bn, s.Conv2*7*7, s.Dense, s.Dense)
}

// Architecture is the baseline network's architecture name.
var Architecture = DefaultSpec(1e-3).Architecture()

// validate checks what the network itself needs; fmnist.Config.Validate
// gives users the reasons.
func (s Spec) validate() error {
	if !(s.LR > 0) || math.IsInf(s.LR, 0) {
		return fmt.Errorf("learning rate %v must be a positive number", s.LR)
	}
	if s.Conv1 < 1 || s.Conv2 < 1 || s.Dense < 1 || !(s.Dropout >= 0 && s.Dropout < 1) || !slices.Contains(optimizers, s.Optimizer) {
		return fmt.Errorf("unsupported network %+v", s)
	}
	return nil
}

// paramSpec is one parameter tensor: PyTorch's name and shape, the fan-in of
// PyTorch's default initialisation (0: a constant init), and whether the
// optimiser trains it (batch norm's running statistics it does not).
type paramSpec struct {
	name    string
	shape   []int
	fanIn   int
	init    float32 // the value of every element when fanIn is 0
	buffer  bool    // running statistics: saved, not trained
	noDecay bool    // biases and batch-norm scales: no weight decay
}

// params lists the parameters of a network of s in their fixed order.
func (s Spec) params() []paramSpec {
	ps := []paramSpec{
		{name: "conv1.weight", shape: []int{s.Conv1, 1, 3, 3}, fanIn: 9},
		{name: "conv1.bias", shape: []int{s.Conv1}, fanIn: 9, noDecay: true},
	}
	bn := func(layer, width int) {
		if !s.BatchNorm {
			return
		}
		p := fmt.Sprintf("bn%d.", layer)
		ps = append(ps,
			paramSpec{name: p + "weight", shape: []int{width}, init: 1, noDecay: true},
			paramSpec{name: p + "bias", shape: []int{width}, init: 0, noDecay: true},
			paramSpec{name: p + "running_mean", shape: []int{width}, init: 0, buffer: true},
			paramSpec{name: p + "running_var", shape: []int{width}, init: 1, buffer: true},
		)
	}
	bn(1, s.Conv1)
	ps = append(ps,
		paramSpec{name: "conv2.weight", shape: []int{s.Conv2, s.Conv1, 3, 3}, fanIn: s.Conv1 * 9},
		paramSpec{name: "conv2.bias", shape: []int{s.Conv2}, fanIn: s.Conv1 * 9, noDecay: true},
	)
	bn(2, s.Conv2)
	flat := s.Conv2 * 7 * 7
	return append(ps,
		paramSpec{name: "fc1.weight", shape: []int{s.Dense, flat}, fanIn: flat},
		paramSpec{name: "fc1.bias", shape: []int{s.Dense}, fanIn: flat, noDecay: true},
		paramSpec{name: "fc2.weight", shape: []int{netClasses, s.Dense}, fanIn: s.Dense},
		paramSpec{name: "fc2.bias", shape: []int{netClasses}, fanIn: s.Dense, noDecay: true},
	)
}
