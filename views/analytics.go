package views

// AnalyticsView is what a page shows of a run's model analytics: the
// confusion matrix (and what later parts add). The zero value shows nothing.
type AnalyticsView struct {
	Run       int64 // 0: no run, nothing shown
	Confusion ConfusionView
}
