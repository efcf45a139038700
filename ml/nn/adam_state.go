package nn

import (
	"fmt"
	"slices"
)

// AdamState is everything Adam carries from one step to the next, so that a
// run continued from it takes exactly the steps it would have taken.
type AdamState struct {
	Optimizer         string      // OptimizerAdam, OptimizerAdamW or OptimizerSGD; "" reads as adam
	Step              int         // steps taken so far (t in the bias corrections)
	Beta1, Beta2, Eps float64     // fixed by the optimiser; recorded to refuse a mismatch
	M, V              [][]float32 // first and second moments, one per parameter in Params order
}

// AdamState returns a copy of the optimiser's state.
func (n *Network) AdamState() AdamState {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.opt
	st := AdamState{Optimizer: a.kind, Step: a.step, Beta1: a.beta1, Beta2: a.beta2, Eps: a.eps}
	for i := range a.m {
		st.M = append(st.M, slices.Clone(a.m[i]))
		st.V = append(st.V, slices.Clone(a.v[i]))
	}
	return st
}

// SetAdamState replaces the optimiser's state with a copy of st, keeping the
// network's learning rate. On a mismatch (constants, count or sizes of the
// moments) the network is untouched.
func (n *Network) SetAdamState(st AdamState) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.opt
	if st.OptimizerName() != a.kind {
		return fmt.Errorf("optimiser state is %s's, this network trains with %s", st.OptimizerName(), a.kind)
	}
	if st.Beta1 != a.beta1 || st.Beta2 != a.beta2 || st.Eps != a.eps {
		return fmt.Errorf("adam state: beta1 %g, beta2 %g, eps %g differ from this optimiser's %g, %g, %g",
			st.Beta1, st.Beta2, st.Eps, a.beta1, a.beta2, a.eps)
	}
	if st.Step < 0 {
		return fmt.Errorf("adam state: step %d is negative", st.Step)
	}
	if len(st.M) != len(a.m) || len(st.V) != len(a.v) {
		return fmt.Errorf("adam state: %d first and %d second moments for %d parameters", len(st.M), len(st.V), len(a.m))
	}
	for i := range a.m {
		if len(st.M[i]) != len(a.m[i]) || len(st.V[i]) != len(a.v[i]) {
			return fmt.Errorf("adam state: moments of parameter %s have %d and %d values, expected %d",
				n.specs[i].name, len(st.M[i]), len(st.V[i]), len(a.m[i]))
		}
	}
	a.step = st.Step
	for i := range a.m {
		copy(a.m[i], st.M[i])
		copy(a.v[i], st.V[i])
	}
	return nil
}

// OptimizerName is the optimiser the state belongs to.
func (st AdamState) OptimizerName() string {
	if st.Optimizer == "" {
		return OptimizerAdam
	}
	return st.Optimizer
}
