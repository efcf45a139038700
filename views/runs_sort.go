package views

import (
	"cmp"
	"slices"
	"strings"
)

// runOrder compares two rows by one RunColumns key, ascending.
var runOrder = map[string]func(a, b RunRow) int{
	"id":       func(a, b RunRow) int { return cmp.Compare(a.ID, b.ID) },
	"status":   func(a, b RunRow) int { return strings.Compare(a.Status.Label(), b.Status.Label()) },
	"started":  func(a, b RunRow) int { return a.StartedAt.Compare(b.StartedAt) },
	"duration": func(a, b RunRow) int { return cmp.Compare(a.Duration, b.Duration) },
	"config":   func(a, b RunRow) int { return strings.Compare(ConfigShort(a.Config), ConfigShort(b.Config)) },
	"epochs":   func(a, b RunRow) int { return cmp.Compare(a.EpochsDone, b.EpochsDone) },
	"best":     func(a, b RunRow) int { return cmp.Compare(a.BestAccuracy, b.BestAccuracy) },
	"final":    func(a, b RunRow) int { return cmp.Compare(a.TestAccuracy, b.TestAccuracy) },
	"speed":    func(a, b RunRow) int { return cmp.Compare(a.ImagesPerSec, b.ImagesPerSec) },
}

// SortRuns sorts rows by a RunColumns key (an unknown key sorts by id),
// ties by id. Runs without a result (NaN) come last either way.
func SortRuns(rows []RunRow, key string, desc bool) string {
	by, ok := runOrder[key]
	if !ok {
		key, by = "id", runOrder["id"]
	}
	result := func(r RunRow) float64 {
		switch key {
		case "best":
			return r.BestAccuracy
		case "final":
			return r.TestAccuracy
		}
		return 0
	}
	slices.SortStableFunc(rows, func(a, b RunRow) int {
		if na, nb := !finite(result(a)), !finite(result(b)); na != nb {
			if na {
				return 1
			}
			return -1
		}
		c := by(a, b)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			return -c
		}
		return c
	})
	return key
}
