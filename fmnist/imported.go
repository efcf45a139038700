package fmnist

import "time"

// RunKind says where a run came from.
type RunKind string

const (
	// KindTrained is a run trained by this app.
	KindTrained RunKind = "trained"
	// KindImported is a run loaded from a bundle: its curve, results,
	// config, model and last confusion matrix as they were, and a log of
	// one line saying where it came from (the bundle has no log).
	KindImported RunKind = "imported"
)

// RunOrigin is where an imported run was made, from its bundle's run.json.
type RunOrigin struct {
	AppVersion    string            `json:"app_version"`
	KernelPath    string            `json:"kernel_path"`
	DatasetSHA256 map[string]string `json:"dataset_sha256"`
	SourceRunID   int64             `json:"source_run_id"` // its id in the app that exported it
	Preset        string            `json:"preset"`
}

// ImportedRun is everything the store keeps of an imported run, written at
// once: no part of it exists unless all of it does.
type ImportedRun struct {
	Config    Config
	Status    Status // an ended status
	Reason    string
	StartedAt time.Time
	EndedAt   time.Time
	Origin    RunOrigin
	Loss      []LossPoint
	Epochs    []EpochResult
	// Analysis is the last epoch's confusion matrix, if the bundle has
	// one; a bundle keeps no per-image answers, so Correct is empty.
	Analysis *EpochAnalysis
	// Note is the run's log: one line saying where it came from.
	Note LogEntry
	// The model's checkpoint: where it was taken and when.
	CheckpointEpoch, CheckpointBatch int
	CheckpointAt                     time.Time
}
