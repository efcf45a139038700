package train

import (
	"fmt"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

// NetworkSpec is the network a run of cfg trains.
func NetworkSpec(cfg fmnist.Config) nn.Spec {
	r := cfg.Recipe.Filled()
	return nn.Spec{
		Conv1: r.Conv1, Conv2: r.Conv2, Dense: r.Dense, BatchNorm: r.BatchNorm, Dropout: r.Dropout,
		Optimizer: r.Optimizer, LR: cfg.LR, WeightDecay: r.WeightDecay, Momentum: r.Momentum,
		LabelSmoothing: r.LabelSmoothing,
	}
}

// describeNetwork says a network's shape in a few words.
func describeNetwork(s nn.Spec) string {
	bn := "no batch norm"
	if s.BatchNorm {
		bn = "batch norm"
	}
	return fmt.Sprintf("conv %d/%d, dense %d, %s", s.Conv1, s.Conv2, s.Dense, bn)
}

// specOfParams recovers the network shape of a list of parameters (as a
// checkpoint holds them): widths and batch norm. The training fields are
// the defaults.
func specOfParams(params []nn.Param) (nn.Spec, error) {
	s := nn.DefaultSpec(1e-3)
	shape := map[string][]int{}
	for _, p := range params {
		shape[p.Name] = p.Shape
	}
	c1, c2, f1 := shape["conv1.weight"], shape["conv2.weight"], shape["fc1.weight"]
	if len(c1) != 4 || len(c2) != 4 || len(f1) != 2 {
		return s, fmt.Errorf("parameters lack conv1, conv2 or fc1 weights of the expected ranks")
	}
	s.Conv1, s.Conv2, s.Dense = c1[0], c2[0], f1[0]
	_, s.BatchNorm = shape["bn1.weight"]
	return s, nil
}
