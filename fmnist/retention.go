package fmnist

// Retention says which of a run's checkpoints stay on disk (and in its
// history): all of them for a run of up to AllUpTo epochs; for a longer run
// the newest Last ones plus the best by test accuracy. Last <= 0 keeps every
// checkpoint of every run, and so does the zero Retention.
type Retention struct {
	AllUpTo int // a run of at most this many epochs keeps every checkpoint
	Last    int // a longer run keeps its newest Last checkpoints and its best
}

// DefaultRetention keeps every epoch of runs of up to 20 epochs, and the
// last 5 plus the best of longer ones: at about 1.7 MB a checkpoint, a run
// of 1000 epochs keeps 10 MB instead of 1.7 GB.
func DefaultRetention() Retention { return Retention{AllUpTo: 20, Last: 5} }

// Prune returns the checkpoints that r does not keep of a run configured
// for epochs epochs, given all of them oldest first. The newest is always
// kept. The best is the earliest with the highest test accuracy among the
// checkpoints taken at an epoch's end: a stop mid-epoch carries the accuracy
// of the epoch before, not of its own weights.
func (r Retention) Prune(epochs int, cks []Checkpoint) []Checkpoint {
	if r.Last <= 0 || epochs <= r.AllUpTo || len(cks) <= r.Last {
		return nil
	}
	best := -1
	for i, c := range cks {
		if c.Batch == 0 && c.TestAccuracy != nil && (best < 0 || *c.TestAccuracy > *cks[best].TestAccuracy) {
			best = i
		}
	}
	var drop []Checkpoint
	for i, c := range cks[:len(cks)-r.Last] {
		if i != best {
			drop = append(drop, c)
		}
	}
	return drop
}
