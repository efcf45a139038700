package fmnist_test

import (
	"slices"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

// epochEnds returns a checkpoint per accuracy, at the end of epochs 1, 2, …
func epochEnds(accuracies ...float64) []fmnist.Checkpoint {
	cks := make([]fmnist.Checkpoint, len(accuracies))
	for i := range accuracies {
		cks[i] = fmnist.Checkpoint{ID: int64(i + 1), Epoch: i + 1, TestAccuracy: &accuracies[i]}
	}
	return cks
}

func epochsOf(cks []fmnist.Checkpoint) []int {
	var out []int
	for _, c := range cks {
		out = append(out, c.Epoch)
	}
	return out
}

func TestRetentionPrune(t *testing.T) {
	def := fmnist.DefaultRetention()
	rising := epochEnds(.1, .2, .3, .4, .5, .6, .7, .8)
	peak := epochEnds(.1, .9, .3, .9, .5, .6, .7, .8) // the first of two bests counts
	stopped := append(epochEnds(.1, .9, .3, .4, .5, .6, .7),
		fmnist.Checkpoint{ID: 8, Epoch: 8, Batch: 12, TestAccuracy: new(.7)})
	unevaluated := []fmnist.Checkpoint{{ID: 1, Epoch: 1, Batch: 5}, {ID: 2, Epoch: 1, Batch: 9}, {ID: 3, Epoch: 1, Batch: 11}}
	tests := []struct {
		name   string
		r      fmnist.Retention
		epochs int
		cks    []fmnist.Checkpoint
		drop   []int // epochs of the checkpoints dropped
	}{
		{"short run keeps all", def, 20, rising, nil},
		{"long run keeps the last five, the best among them", def, 21, rising, []int{1, 2, 3}},
		{"long run keeps an earlier best", def, 500, peak, []int{1, 3}},
		{"a stop counts as the newest", def, 500, stopped, []int{1, 3}},
		{"no accuracy yet", fmnist.Retention{Last: 2}, 500, unevaluated, []int{1}},
		{"fewer than kept", def, 500, rising[:5], nil},
		{"zero keeps all", fmnist.Retention{}, 500, rising, nil},
		{"Last 0 keeps all", fmnist.Retention{AllUpTo: 20}, 500, rising, nil},
		{"Last 1", fmnist.Retention{Last: 1}, 500, peak, []int{1, 3, 4, 5, 6, 7}},
		{"nothing", def, 500, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drop := tt.r.Prune(tt.epochs, tt.cks)
			if got := epochsOf(drop); !slices.Equal(got, tt.drop) {
				t.Errorf("Prune drops epochs %v, want %v", got, tt.drop)
			}
			if len(tt.cks) > 0 && slices.ContainsFunc(drop, func(c fmnist.Checkpoint) bool { return c.ID == tt.cks[len(tt.cks)-1].ID }) {
				t.Errorf("Prune drops the newest checkpoint")
			}
		})
	}
}
