package nn

import (
	"slices"
	"testing"
)

// TestAdamStateCarriesTheNextStep: a network given another's weights and
// Adam state takes the same step as that one, bit for bit; without the
// state it does not.
func TestAdamStateCarriesTheNextStep(t *testing.T) {
	a := newTestNetwork(t, 1)
	for step := range 3 {
		x, labels := syntheticBatch(uint64(step), 8)
		if _, err := a.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	st := a.AdamState()
	if st.Step != 3 || len(st.M) != len(a.specs) {
		t.Fatalf("state after 3 steps: step %d, %d moments", st.Step, len(st.M))
	}
	copyInto := func(withState bool) *Network {
		b := newTestNetwork(t, 2)
		for i, p := range b.Params() {
			copy(p.Data, a.Params()[i].Data)
		}
		if withState {
			if err := b.SetAdamState(st); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	b, fresh := copyInto(true), copyInto(false)
	// The copy is not aliased: training a further does not change st.
	x, labels := syntheticBatch(9, 8)
	for _, n := range []*Network{a, b, fresh} {
		if _, err := n.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	if st.Step != 3 {
		t.Errorf("the returned state changed with the network: step %d", st.Step)
	}
	if !slices.EqualFunc(weightsCopy(a), weightsCopy(b), slices.Equal) {
		t.Error("the network given the state took another step than the original")
	}
	if slices.EqualFunc(weightsCopy(a), weightsCopy(fresh), slices.Equal) {
		t.Error("a network without the state took the same step: the test shows nothing")
	}
}

func TestSetAdamStateRefusesAMismatch(t *testing.T) {
	n := newTestNetwork(t, 1)
	good := n.AdamState()
	bad := []struct {
		name string
		edit func(*AdamState)
	}{
		{"other beta1", func(s *AdamState) { s.Beta1 = 0.8 }},
		{"negative step", func(s *AdamState) { s.Step = -1 }},
		{"missing moments", func(s *AdamState) { s.M = s.M[1:] }},
		{"short moment", func(s *AdamState) { s.V[2] = s.V[2][1:] }},
	}
	for _, tt := range bad {
		st := n.AdamState()
		st.Step = 5
		tt.edit(&st)
		if err := n.SetAdamState(st); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
		if got := n.AdamState(); got.Step != good.Step {
			t.Errorf("%s: a refused state changed the step to %d", tt.name, got.Step)
		}
	}
}
