package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// predictChunk is the most images handed to nn.Network.Predict at once; it
// bounds the memory of one forward pass.
const predictChunk = 1000

// PredictIndices predicts the images of set at indices, in that order.
func PredictIndices(net *nn.Network, set *data.Set, indices []int) ([]fmnist.Prediction, error) {
	return PredictIndicesTTA(net, set, indices, false)
}

// PredictIndicesTTA is PredictIndices that, with tta, averages each image's
// probabilities with those of its mirror image (flip test-time augmentation).
func PredictIndicesTTA(net *nn.Network, set *data.Set, indices []int, tta bool) ([]fmnist.Prediction, error) {
	return PredictIndicesContext(context.Background(), net, set, indices, tta)
}

// PredictIndicesContext is PredictIndicesTTA that gives up between chunks
// of images when ctx is done (a page's request that went away).
func PredictIndicesContext(ctx context.Context, net *nn.Network, set *data.Set, indices []int, tta bool) ([]fmnist.Prediction, error) {
	for _, idx := range indices {
		if idx < 0 || idx >= set.Count {
			return nil, fmt.Errorf("predict: index %d is outside the set of %d images", idx, set.Count)
		}
	}
	out := make([]fmnist.Prediction, 0, len(indices))
	err := predictChunks(ctx, net, set, indices, tta, func(idx int, probs []float32) {
		p := fmnist.Prediction{Index: idx, Label: int(set.Labels[idx])}
		for c, v := range probs {
			p.Probabilities[c] = float64(v)
		}
		p.Predicted = nn.IndexOfMax(probs)
		out = append(out, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RandomIndices returns count distinct indices in [0, n) in random order,
// the same ones for the same seed. It returns all n when count >= n.
func RandomIndices(n, count int, seed int64) []int {
	if count > n {
		count = n
	}
	if count <= 0 {
		return []int{}
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	// A partial Fisher-Yates over a sparse "swapped" map picks count of n
	// without allocating n ints, as a gallery asks for a handful out of 10 000.
	swapped := make(map[int]int, count)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, count)
	for i := range count {
		j := i + r.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	return out
}

// Evaluate measures net on every image of set.
func Evaluate(net *nn.Network, set *data.Set) (fmnist.Accuracy, error) {
	return evaluate(context.Background(), net, set, false)
}

// EvaluateTTA is Evaluate that, with tta, averages each image's prediction
// with its mirror image's (flip test-time augmentation).
func EvaluateTTA(net *nn.Network, set *data.Set, tta bool) (fmnist.Accuracy, error) {
	return evaluate(context.Background(), net, set, tta)
}

// evaluate is Evaluate that gives up between chunks when ctx is done, so a
// stop request during the test pass is honoured quickly; tta averages each
// image's prediction with its mirror image's.
func evaluate(ctx context.Context, net *nn.Network, set *data.Set, tta bool) (fmnist.Accuracy, error) {
	if set.Count == 0 {
		return fmnist.Accuracy{}, fmt.Errorf("evaluate: the set is empty")
	}
	indices := make([]int, set.Count)
	for i := range indices {
		indices[i] = i
	}
	var (
		correct                        int
		perClassCorrect, perClassTotal [10]int
		lossSum                        float64
		confusion                      fmnist.Confusion
		right                          = fmnist.NewBitset(set.Count)
	)
	err := predictChunks(ctx, net, set, indices, tta, func(idx int, probs []float32) {
		label, predicted := int(set.Labels[idx]), nn.IndexOfMax(probs)
		perClassTotal[label]++
		confusion[label][predicted]++
		if predicted == label {
			correct++
			perClassCorrect[label]++
			right.Set(idx)
		}
		// Clamp so one confident mistake cannot make the mean infinite.
		lossSum -= math.Log(max(float64(probs[label]), 1e-12))
	})
	if err != nil {
		return fmnist.Accuracy{}, err
	}
	acc := fmnist.Accuracy{
		Overall: float64(correct) / float64(set.Count),
		Loss:    lossSum / float64(set.Count),
		Count:   set.Count,

		Confusion: confusion,
		Correct:   right,
	}
	for c := range acc.PerClass {
		if perClassTotal[c] > 0 {
			acc.PerClass[c] = float64(perClassCorrect[c]) / float64(perClassTotal[c])
		}
	}
	return acc, nil
}

// predictChunks runs the network over indices in chunks of predictChunk and
// calls visit with each image's index and its 10 probabilities; with tta,
// the mean of the image's and its mirror image's.
func predictChunks(ctx context.Context, net *nn.Network, set *data.Set, indices []int, tta bool, visit func(idx int, probs []float32)) error {
	pixels := set.Rows * set.Cols
	chunk := min(predictChunk, len(indices))
	x := make([]float32, chunk*pixels)
	probs := make([]float32, chunk*10)
	var mirrored []float32
	if tta {
		mirrored = make([]float32, chunk*10)
	}
	for start := 0; start < len(indices); start += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := indices[start:min(start+chunk, len(indices))]
		set.Normalize(x[:len(batch)*pixels], batch)
		if err := net.Predict(x[:len(batch)*pixels], len(batch), probs[:len(batch)*10]); err != nil {
			return fmt.Errorf("predict images %d..%d: %w", start, start+len(batch)-1, err)
		}
		if tta {
			mirrorRows(x[:len(batch)*pixels], set.Cols)
			if err := net.Predict(x[:len(batch)*pixels], len(batch), mirrored[:len(batch)*10]); err != nil {
				return fmt.Errorf("predict mirrored images %d..%d: %w", start, start+len(batch)-1, err)
			}
			for i, v := range mirrored[:len(batch)*10] {
				probs[i] = (probs[i] + v) / 2
			}
		}
		for i, idx := range batch {
			visit(idx, probs[i*10:(i+1)*10])
		}
	}
	return nil
}

// mirrorRows flips every row of the images in x (rows of cols values)
// left to right, in place.
func mirrorRows(x []float32, cols int) {
	for r := 0; r+cols <= len(x); r += cols {
		slices.Reverse(x[r : r+cols])
	}
}
