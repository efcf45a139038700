package train

import (
	"math"
	"sync/atomic"

	"github.com/fmnist/trainer/fmnist"
)

// LiveLR carries a learning rate asked for while a run trains (the page's
// control, POST /api/training/lr) to the training loop, which takes it
// before its next batch. It is one atomic word, so asking never waits on
// the loop and the loop never waits on a lock. The zero value holds no
// request; a nil *LiveLR never has one.
type LiveLR struct{ requested atomic.Uint64 } // math.Float64bits of the rate; 0: none

// Request asks for lr from the next batch; a later request before that
// batch replaces it.
func (l *LiveLR) Request(lr float64) { l.requested.Store(math.Float64bits(lr)) }

// take returns the pending request and clears it; 0 when there is none.
func (l *LiveLR) take() float64 {
	if l == nil {
		return 0
	}
	return math.Float64frombits(l.requested.Swap(0))
}

// scheduledLR is the learning rate of the run's batch (counted from 0),
// whose place in the schedule is at (further on under a time limit): the
// schedule's, times the scale a live change set. A pending change sets
// the scale so that this batch trains at the rate asked for and the
// schedule continues scaled; it is logged and reported as an
// fmnist.LRChange.
func (r *trainRun) scheduledLR(at, batch int) float64 {
	lr := r.cfg.LearningRate(at, r.batches)
	if asked := r.opts.LiveLR.take(); asked > 0 && lr > 0 {
		r.lrScale = asked / lr
		x := float64(batch+1) / float64(r.batches) // where the batch's loss point lands
		r.events.Push(fmnist.LRChange{Epoch: x, LR: asked, Scale: r.lrScale})
		r.logLine(fmnist.LevelInfo, "Learning rate changed to %g from batch %d of epoch %d (the schedule continues scaled by %.4g)",
			asked, batch%r.batches+1, batch/r.batches+1, r.lrScale)
	}
	if r.lrScale == 0 {
		return lr
	}
	return lr * r.lrScale
}
