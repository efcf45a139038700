package nn

import "github.com/fmnist/trainer/ml/nn/internal/activity"

// StepHealth is what a sampled training step reports besides its loss: the
// figures behind the trainer's dead-unit and gradient-spike warnings.
type StepHealth struct {
	GradNorm float64     // L2 norm of all trained parameters' gradients, before the update
	Dead     []DeadUnits // per ReLU layer, in forward order
}

// DeadUnits is the share of a ReLU layer's units (a convolution's channels,
// a dense layer's neurons) whose output was exactly zero for a whole batch.
type DeadUnits struct {
	Layer string
	Share float64
}

// reluOutput is a ReLU layer's output buffer in a compiled graph, laid out
// [batch][units][plane] (after pooling, for the convolutions: a pooled
// value is zero exactly when its whole window was).
type reluOutput struct {
	layer        string
	data         []float32
	units, plane int
}

// TrainStepHealth is TrainStep that also fills h, unless h is nil. It reads
// buffers the step filled anyway; the trainer passes h on a sample of batches.
func (n *Network) TrainStepHealth(x []float32, labels []uint8, h *StepHealth) (float32, error) {
	return n.trainStep(x, labels, h)
}

// measure fills h from the step's gradients and the ReLU outputs.
func (cg *compiledGraph) measure(grads [][]float32, h *StepHealth) {
	h.GradNorm = activity.Norm(grads...)
	h.Dead = h.Dead[:0]
	for _, r := range cg.relus {
		h.Dead = append(h.Dead, DeadUnits{Layer: r.layer, Share: activity.DeadShare(r.data, cg.batch, r.units, r.plane)})
	}
}
