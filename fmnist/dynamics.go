package fmnist

import (
	"context"
	"fmt"
	"slices"
)

// EpochDynamics counts how the test images' answers changed at one epoch,
// from the bitsets of right answers. Before the first epoch every image
// counts as wrong, so the first epoch's right answers are all learned.
type EpochDynamics struct {
	Epoch       int
	Right       int // right at this epoch
	Learned     int // wrong at the epoch before, right at this one
	StayedRight int // right at both
	Forgotten   int // right at the epoch before, wrong at this one
	NeverRight  int // wrong at this epoch and every one before
}

// DynamicsGroup names a set of test images that the dynamics gallery lists.
type DynamicsGroup string

const (
	GroupLearned    DynamicsGroup = "learned"     // wrong → right at the epoch
	GroupForgotten  DynamicsGroup = "forgotten"   // right → wrong at the epoch
	GroupNeverRight DynamicsGroup = "never_right" // wrong at every epoch up to it
	GroupFlipping   DynamicsGroup = "flipping"    // changed at least once up to it, most changes first
)

// DynamicsGroups are the groups in the order the pages offer them.
var DynamicsGroups = []DynamicsGroup{GroupLearned, GroupForgotten, GroupNeverRight, GroupFlipping}

// ParseDynamicsGroup reads a group's name; "" is GroupNeverRight, the
// hardest images.
func ParseDynamicsGroup(s string) (DynamicsGroup, error) {
	if s == "" {
		return GroupNeverRight, nil
	}
	if g := DynamicsGroup(s); slices.Contains(DynamicsGroups, g) {
		return g, nil
	}
	return "", FieldError("group", fmt.Sprintf("%q is not a group: use learned, forgotten, never_right or flipping", s))
}

// Dynamics is what a run's per-epoch bitsets say about each test image.
type Dynamics struct {
	Images   int // test images the bitsets cover
	Epochs   []EpochDynamics
	analyses []EpochAnalysis
}

// DynamicsOf reads the analyses of a run, oldest epoch first; consecutive
// analyses count as consecutive epochs.
func DynamicsOf(analyses []EpochAnalysis) Dynamics {
	d := Dynamics{analyses: analyses}
	for _, a := range analyses {
		d.Images = max(d.Images, a.Images)
	}
	var prev, ever Bitset = NewBitset(d.Images), NewBitset(d.Images)
	for _, a := range analyses {
		e := EpochDynamics{Epoch: a.Epoch}
		for i := range d.Images {
			now, before := a.Correct.Has(i), prev.Has(i)
			switch {
			case now && before:
				e.StayedRight++
			case now:
				e.Learned++
			case before:
				e.Forgotten++
			}
			if now {
				e.Right++
				ever.Set(i)
			} else if !ever.Has(i) {
				e.NeverRight++
			}
		}
		d.Epochs = append(d.Epochs, e)
		prev = a.Correct
	}
	return d
}

// Newest is the last evaluated epoch, 0 when none is.
func (d Dynamics) Newest() int {
	if len(d.analyses) == 0 {
		return 0
	}
	return d.analyses[len(d.analyses)-1].Epoch
}

// Flip is how often a test image changed between right and wrong from one
// evaluated epoch to the next, and at how many epochs it was right.
type Flip struct {
	Index       int
	Flips       int
	RightEpochs int
}

// Group lists the test images of group g at epoch (0: the newest), by
// index, except GroupFlipping: most changes first. An epoch that was not
// evaluated gives an EINVALID Error.
func (d Dynamics) Group(g DynamicsGroup, epoch int) ([]Flip, error) {
	upTo := len(d.analyses)
	if epoch != 0 {
		upTo = slices.IndexFunc(d.analyses, func(a EpochAnalysis) bool { return a.Epoch == epoch }) + 1
		if upTo == 0 {
			return nil, FieldError("epoch", fmt.Sprintf("epoch %d has not been evaluated (%s)", epoch, d.evaluatedPhrase()))
		}
	}
	seen := d.analyses[:upTo]
	out := []Flip{}
	for i := range d.Images {
		f := Flip{Index: i}
		for k, a := range seen {
			if a.Correct.Has(i) {
				f.RightEpochs++
			}
			if k > 0 && a.Correct.Has(i) != seen[k-1].Correct.Has(i) {
				f.Flips++
			}
		}
		var now, before bool
		if upTo > 0 {
			now = seen[upTo-1].Correct.Has(i)
		}
		if upTo > 1 {
			before = seen[upTo-2].Correct.Has(i)
		}
		var in bool
		switch g {
		case GroupLearned:
			in = now && !before
		case GroupForgotten:
			in = before && !now
		case GroupNeverRight:
			in = upTo > 0 && f.RightEpochs == 0
		case GroupFlipping:
			in = f.Flips > 0
		}
		if in {
			out = append(out, f)
		}
	}
	if g == GroupFlipping {
		slices.SortStableFunc(out, func(a, b Flip) int { return b.Flips - a.Flips })
	}
	return out, nil
}

func (d Dynamics) evaluatedPhrase() string {
	switch len(d.analyses) {
	case 0:
		return "no epoch has been evaluated yet"
	case 1:
		return fmt.Sprintf("only epoch %d has been", d.analyses[0].Epoch)
	}
	return fmt.Sprintf("epochs %d to %d have been", d.analyses[0].Epoch, d.Newest())
}

// ExampleQuery asks for the test images a checkpoint classified a certain
// way at an epoch's end.
type ExampleQuery struct {
	Epoch int // 0: the newest evaluated epoch
	True  int // true class, -1: any
	Pred  int // predicted class, -1: any
	// ByConfidence orders by the probability of the predicted class, highest
	// first (for mistakes: the most confidently wrong); else by index.
	ByConfidence  bool
	Limit, Offset int
}

// ExamplePage is one page of the images an ExampleQuery matches, each with
// its 10 probabilities.
type ExamplePage struct {
	Epoch      int // the epoch whose checkpoint classified them
	Checkpoint int64
	Total      int // images matching, over all pages
	Items      []Prediction
}

// ExampleFinder classifies the test set with a run's checkpoints. Unknown
// runs give ENOTFOUND, an epoch without a checkpoint ENOTFOUND or
// ECONFLICT with a sentence saying why.
type ExampleFinder interface {
	Examples(ctx context.Context, runID int64, q ExampleQuery) (ExamplePage, error)
}
