package fmnist

import (
	"reflect"
	"testing"
)

// bitsOf is a bitset of n images with the listed ones right.
func bitsOf(n int, right ...int) Bitset {
	b := NewBitset(n)
	for _, i := range right {
		b.Set(i)
	}
	return b
}

// Five images over three epochs: 0 always right, 1 learned at 2, 2
// forgotten at 2 and learned again at 3, 3 never right, 4 learned at 3.
func TestDynamicsCountAndGroup(t *testing.T) {
	analyses := []EpochAnalysis{
		{Epoch: 1, Images: 5, Correct: bitsOf(5, 0, 2)},
		{Epoch: 2, Images: 5, Correct: bitsOf(5, 0, 1)},
		{Epoch: 3, Images: 5, Correct: bitsOf(5, 0, 1, 2, 4)},
	}
	d := DynamicsOf(analyses)
	want := []EpochDynamics{
		{Epoch: 1, Right: 2, Learned: 2, StayedRight: 0, Forgotten: 0, NeverRight: 3},
		{Epoch: 2, Right: 2, Learned: 1, StayedRight: 1, Forgotten: 1, NeverRight: 2},
		{Epoch: 3, Right: 4, Learned: 2, StayedRight: 2, Forgotten: 0, NeverRight: 1},
	}
	if !reflect.DeepEqual(d.Epochs, want) || d.Images != 5 || d.Newest() != 3 {
		t.Fatalf("DynamicsOf = %+v, want %+v", d.Epochs, want)
	}
	indices := func(g DynamicsGroup, epoch int) []int {
		flips, err := d.Group(g, epoch)
		if err != nil {
			t.Fatalf("Group(%s, %d): %v", g, epoch, err)
		}
		out := []int{}
		for _, f := range flips {
			out = append(out, f.Index)
		}
		return out
	}
	for _, c := range []struct {
		g     DynamicsGroup
		epoch int
		want  []int
	}{
		{GroupLearned, 0, []int{2, 4}},
		{GroupLearned, 2, []int{1}},
		{GroupForgotten, 2, []int{2}},
		{GroupNeverRight, 0, []int{3}},
		{GroupNeverRight, 2, []int{3, 4}},
		{GroupFlipping, 0, []int{2, 1, 4}}, // image 2 flipped twice
	} {
		if got := indices(c.g, c.epoch); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Group(%s, %d) = %v, want %v", c.g, c.epoch, got, c.want)
		}
	}
	if _, err := d.Group(GroupLearned, 7); ErrorCode(err) != EINVALID {
		t.Errorf("an epoch not evaluated: %v, want EINVALID", err)
	}
	if _, err := ParseDynamicsGroup("easy"); ErrorCode(err) != EINVALID {
		t.Errorf("ParseDynamicsGroup(easy): %v", err)
	}
}
