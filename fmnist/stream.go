package fmnist

// EventKind names an event on the live stream (GET /events): the name a
// viewer listens for. For the page each kind carries either an HTML fragment
// or a JSON object (see JSON); for scripts (GET /events?format=json) every
// kind carries one line of JSON, under the same id.
type EventKind string

// The kinds of the live stream.
const (
	EventStatus      EventKind = "status"      // the status line and the training buttons
	EventProgress    EventKind = "progress"    // the progress panel
	EventDataset     EventKind = "dataset"     // the dataset panel
	EventPredictions EventKind = "predictions" // the predictions panel
	EventLog         EventKind = "log"         // one log line, appended
	EventLogs        EventKind = "logs"        // the log list's lines, replacing them (see Snapshot)
	EventLoss        EventKind = "loss"        // JSON: one point of the loss curve
	EventEpoch       EventKind = "epoch"       // JSON: one epoch's evaluation
	EventConfusion   EventKind = "confusion"   // the confusion-matrix panel of the epoch just evaluated
	EventWarning     EventKind = "warning"     // a training-health warning, appended to the banner
	EventLR          EventKind = "lr"          // JSON: a live learning-rate change, a marker on the curve
	EventSystem      EventKind = "system"      // the system panel: CPU, memory, goroutines, images/s while training
)

// EventKinds lists every kind the stream carries; the page subscribes to
// exactly these.
var EventKinds = []EventKind{
	EventStatus, EventProgress, EventDataset, EventPredictions, EventLog, EventLogs, EventLoss, EventEpoch,
	EventConfusion, EventWarning, EventLR, EventSystem,
}

// Snapshot reports whether an event of this kind replaces the ones before
// it (it is the whole panel), so a viewer that resumes needs only the
// newest. The other kinds add to what came before and are replayed in full.
// EventLogs is sent only to a viewer whose page outlived a restart, with the
// other snapshots: the events it missed went with the old process.
func (k EventKind) Snapshot() bool {
	switch k {
	case EventStatus, EventProgress, EventDataset, EventPredictions, EventLogs, EventSystem:
		return true
	}
	return false
}

// JSON reports whether events of this kind carry JSON rather than HTML in
// the page's format.
func (k EventKind) JSON() bool { return k == EventLoss || k == EventEpoch || k == EventLR }
