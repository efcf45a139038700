package fmnist

import (
	"context"
	"math/bits"
	"sort"
)

// Confusion counts a model's answers on a set: [true class][predicted class].
type Confusion [NumClasses][NumClasses]int

// Total is how many images the matrix counts.
func (c *Confusion) Total() int {
	n := 0
	for i := range c {
		for j := range c[i] {
			n += c[i][j]
		}
	}
	return n
}

// Correct is how many images were classified right: the diagonal.
func (c *Confusion) Correct() int {
	n := 0
	for i := range c {
		n += c[i][i]
	}
	return n
}

// Accuracy is Correct / Total, computed as the evaluation computes it, so
// the two agree exactly; 0 for an empty matrix.
func (c *Confusion) Accuracy() float64 {
	total := c.Total()
	if total == 0 {
		return 0
	}
	return float64(c.Correct()) / float64(total)
}

// ClassScore is one class's precision, recall and F1 (0 where undefined).
type ClassScore struct {
	Class                 int
	Precision, Recall, F1 float64
	Support               int // images of the class
}

// Scores returns each class's precision, recall and F1.
func (c *Confusion) Scores() [NumClasses]ClassScore {
	var out [NumClasses]ClassScore
	for k := range c {
		predicted, actual := 0, 0
		for i := range c {
			predicted += c[i][k]
			actual += c[k][i]
		}
		s := ClassScore{Class: k, Support: actual}
		if predicted > 0 {
			s.Precision = float64(c[k][k]) / float64(predicted)
		}
		if actual > 0 {
			s.Recall = float64(c[k][k]) / float64(actual)
		}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		out[k] = s
	}
	return out
}

// ConfusedPair is a true class taken for another, and how often.
type ConfusedPair struct {
	True, Predicted int
	Count           int
}

// MostConfused returns the n off-diagonal cells with the highest counts,
// highest first (ties by true then predicted class); cells of 0 are left out.
func (c *Confusion) MostConfused(n int) []ConfusedPair {
	var pairs []ConfusedPair
	for i := range c {
		for j := range c[i] {
			if i != j && c[i][j] > 0 {
				pairs = append(pairs, ConfusedPair{True: i, Predicted: j, Count: c[i][j]})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].Count > pairs[b].Count })
	return pairs[:min(n, len(pairs))]
}

// Bitset holds one bit per test image: bit i (byte i/8, bit i%8) is set when
// image i was classified right. 10,000 images take 1,250 bytes.
type Bitset []byte

// NewBitset has room for n bits, all clear.
func NewBitset(n int) Bitset { return make(Bitset, (n+7)/8) }

// Set sets bit i.
func (b Bitset) Set(i int) { b[i/8] |= 1 << (i % 8) }

// Has reports whether bit i is set; bits beyond the set are clear.
func (b Bitset) Has(i int) bool { return i >= 0 && i/8 < len(b) && b[i/8]&(1<<(i%8)) != 0 }

// Count is how many bits are set.
func (b Bitset) Count() int {
	n := 0
	for _, v := range b {
		n += bits.OnesCount8(v)
	}
	return n
}

// EpochAnalysis is what the end-of-epoch evaluation yields beyond the
// accuracy: the confusion matrix and which test images were right. The
// trainer reports it right after the epoch's EpochResult.
type EpochAnalysis struct {
	Epoch     int
	Confusion Confusion
	Correct   Bitset // one bit per test image
	Images    int    // test images evaluated (bits that matter)
}

func (EpochAnalysis) event() {}

// AnalysisReader reads what the evaluations of a run found, epoch by epoch.
// Unknown runs give an ENOTFOUND Error.
type AnalysisReader interface {
	// EpochAnalyses returns every evaluated epoch's analysis of run runID,
	// oldest first.
	EpochAnalyses(ctx context.Context, runID int64) ([]EpochAnalysis, error)
}

// AnalysisStore keeps the analyses; part of RunStore.
type AnalysisStore interface {
	AnalysisReader
	WarningReader
	// AddWarning stores a warning of run runID; an unknown run gives an
	// ENOTFOUND Error.
	AddWarning(ctx context.Context, runID int64, w Warning) error
	// AddEpochAnalysis stores an epoch's analysis, replacing one of the same
	// epoch; an unknown run gives an ENOTFOUND Error.
	AddEpochAnalysis(ctx context.Context, runID int64, a EpochAnalysis) error
}
