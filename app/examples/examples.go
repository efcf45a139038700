// Package examples classifies the test set with the checkpoint of a run's
// epoch, for the misclassified-examples page: which images of a true class
// were taken for which other, with their probabilities. The last few
// (run, epoch) answers are kept in memory; one pass over the test set runs
// at a time, so pages can ask while a run trains without starving it.
package examples

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/train"
)

// CacheSize is how many (run, epoch) classifications are kept: about 1 MB
// each for the 10,000 test images.
const CacheSize = 4

// Checkpoints lists a run's checkpoints, oldest first; unknown runs give an
// ENOTFOUND fmnist.Error. *app.Service is one.
type Checkpoints interface {
	Checkpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error)
}

// Classify answers every image of set with the model in the checkpoint file.
type Classify func(ctx context.Context, checkpointPath string, set *data.Set) ([]fmnist.Prediction, error)

// Finder answers ExampleQuerys; it is an fmnist.ExampleFinder.
type Finder struct {
	checkpoints Checkpoints
	testSet     func() *data.Set // nil until the dataset is prepared
	classify    Classify

	busy chan struct{} // holds a token while a pass runs
	mu   sync.Mutex
	kept []classified // newest last, at most CacheSize
}

type classified struct {
	checkpoint int64
	items      []fmnist.Prediction
}

// New returns a Finder over the checkpoints, classifying testSet() with
// classify (nil: load the checkpoint and predict, see ClassifyCheckpoint).
func New(checkpoints Checkpoints, testSet func() *data.Set, classify Classify) *Finder {
	if classify == nil {
		classify = ClassifyCheckpoint
	}
	return &Finder{checkpoints: checkpoints, testSet: testSet, classify: classify, busy: make(chan struct{}, 1)}
}

// ClassifyCheckpoint loads the model in path and predicts every image of
// set, with the test-time augmentation its run was configured with.
func ClassifyCheckpoint(ctx context.Context, path string, set *data.Set) ([]fmnist.Prediction, error) {
	model, err := train.LoadModel(path)
	if err != nil {
		return nil, fmt.Errorf("load the model: %w", err)
	}
	defer model.Close()
	indices := make([]int, set.Count)
	for i := range indices {
		indices[i] = i
	}
	return train.PredictIndicesContext(ctx, model.Net, set, indices, model.TTA())
}

// Examples returns the page of test images that q asks for.
func (f *Finder) Examples(ctx context.Context, runID int64, q fmnist.ExampleQuery) (fmnist.ExamplePage, error) {
	ckpt, err := f.checkpointOf(ctx, runID, q.Epoch)
	if err != nil {
		return fmnist.ExamplePage{}, err
	}
	items, err := f.classified(ctx, ckpt)
	if err != nil {
		return fmnist.ExamplePage{}, fmt.Errorf("classify the test set with run %d's epoch %d: %w", runID, ckpt.Epoch, err)
	}
	var match []fmnist.Prediction
	for _, p := range items {
		if (q.True < 0 || p.Label == q.True) && (q.Pred < 0 || p.Predicted == q.Pred) {
			match = append(match, p)
		}
	}
	if q.ByConfidence {
		slices.SortStableFunc(match, func(a, b fmnist.Prediction) int {
			return cmp.Compare(b.Probabilities[b.Predicted], a.Probabilities[a.Predicted])
		})
	}
	page := fmnist.ExamplePage{Epoch: ckpt.Epoch, Checkpoint: ckpt.ID, Total: len(match), Items: []fmnist.Prediction{}}
	if q.Offset < len(match) {
		page.Items = append(page.Items, match[q.Offset:min(len(match), q.Offset+q.Limit)]...)
	}
	return page, nil
}

// checkpointOf is the checkpoint saved at the end of epoch (0: the newest
// epoch's end).
func (f *Finder) checkpointOf(ctx context.Context, runID int64, epoch int) (fmnist.Checkpoint, error) {
	cks, err := f.checkpoints.Checkpoints(ctx, runID)
	if err != nil {
		return fmnist.Checkpoint{}, err
	}
	var ends []int
	for i := len(cks) - 1; i >= 0; i-- {
		c := cks[i]
		if c.Batch != 0 {
			continue // saved mid-epoch by a stop: not the epoch's evaluated weights
		}
		if epoch == 0 || c.Epoch == epoch {
			return c, nil
		}
		ends = append(ends, c.Epoch)
	}
	if len(ends) == 0 {
		return fmnist.Checkpoint{}, fmnist.Errorf(fmnist.ECONFLICT, "Run %d has no checkpoint of a finished epoch yet.", runID)
	}
	slices.Sort(ends)
	return fmnist.Checkpoint{}, fmnist.Errorf(fmnist.ENOTFOUND,
		"Run %d keeps no checkpoint of epoch %d (older checkpoints of long runs are removed); epochs with one: %s.",
		runID, epoch, joinInts(ends))
}

// classified is the kept classification of ckpt, else a new one: one pass
// at a time, waiting for the one under way (which may be the same).
func (f *Finder) classified(ctx context.Context, ckpt fmnist.Checkpoint) ([]fmnist.Prediction, error) {
	if items, ok := f.lookup(ckpt.ID); ok {
		return items, nil
	}
	select {
	case f.busy <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-f.busy }()
	if items, ok := f.lookup(ckpt.ID); ok {
		return items, nil
	}
	set := f.testSet()
	if set == nil {
		return nil, fmnist.ErrDatasetNotReady
	}
	items, err := f.classify(ctx, ckpt.Path, set)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kept = append(f.kept, classified{checkpoint: ckpt.ID, items: items})
	if len(f.kept) > CacheSize {
		f.kept = slices.Delete(f.kept, 0, len(f.kept)-CacheSize)
	}
	return items, nil
}

func (f *Finder) lookup(checkpoint int64) ([]fmnist.Prediction, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range f.kept {
		if k.checkpoint == checkpoint {
			// The most recently used goes last, the last to be let go.
			f.kept = append(slices.Delete(f.kept, i, i+1), k)
			return k.items, true
		}
	}
	return nil, false
}

func joinInts(v []int) string {
	s := ""
	for i, n := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(n)
	}
	return s
}
