package views

import (
	"math"
	"slices"
	"testing"
)

func TestSortRunsPutsMissingResultsLast(t *testing.T) {
	rows := []RunRow{
		{ID: 1, BestAccuracy: 0.8},
		{ID: 2, BestAccuracy: math.NaN()},
		{ID: 3, BestAccuracy: 0.9},
		{ID: 4, BestAccuracy: 0.8},
	}
	ids := func() []int64 {
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		key  string
		desc bool
		want []int64
	}{
		{"best", true, []int64{3, 4, 1, 2}},
		{"best", false, []int64{1, 4, 3, 2}},
		{"nonsense", true, []int64{4, 3, 2, 1}},
	} {
		SortRuns(rows, tc.key, tc.desc)
		if got := ids(); !slices.Equal(got, tc.want) {
			t.Errorf("SortRuns by %s (desc %v) = %v; want %v", tc.key, tc.desc, got, tc.want)
		}
	}
}
