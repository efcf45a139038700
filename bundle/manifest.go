// Package bundle writes and reads a run's reproducible bundle: one .fmnist
// file (a zip) with the weights as safetensors, the optimiser state, run.json
// (config, seed, kernel path, app version, dataset hashes), the loss curve
// and epoch results as CSV, the last confusion matrix when there is one, and
// a README.txt. Reading is built for files from strangers: sizes, names,
// JSON and tensors are all checked before anything is kept.
package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/train"
)

// FormatVersion names this layout in run.json; a reader refuses others.
const FormatVersion = "fmnist-bundle/1"

// Manifest is run.json: how the run was made and where its model stands.
type Manifest struct {
	Format       string        `json:"format"`
	AppVersion   string        `json:"app_version"`
	RunID        int64         `json:"run_id"` // the id in the app that exported it
	Status       fmnist.Status `json:"status"`
	Reason       string        `json:"reason"`
	StartedAt    time.Time     `json:"started_at"`
	EndedAt      time.Time     `json:"ended_at"`
	Config       fmnist.Config `json:"config"`
	Seed         int64         `json:"seed"`   // Config.Seed, said plainly
	Preset       string        `json:"preset"` // the recipe's preset: baseline, bn or best
	Architecture string        `json:"architecture"`
	KernelPath   string        `json:"kernel_path"` // the matrix-multiply path it trained on
	// DatasetSHA256 is the hex SHA-256 of each of the four dataset files
	// (.gz as downloaded), by file name.
	DatasetSHA256 map[string]string `json:"dataset_sha256"`
	Model         ModelState        `json:"model"`
}

// ModelState is where the bundled weights were taken: the run's newest
// checkpoint, with what a fork needs to continue from it.
type ModelState struct {
	Epoch        int            `json:"epoch"`
	Batch        int            `json:"batch"`
	TestAccuracy float64        `json:"test_accuracy"`
	SavedAt      time.Time      `json:"saved_at"`
	Position     train.Position `json:"position"`
	Optimizer    Optimizer      `json:"optimizer"`
}

// Optimizer is the optimiser's scalar state; its moments (SGD: the momentum
// buffer and zeros) are in optimizer.safetensors.
type Optimizer struct {
	Name  string  `json:"name"`
	Step  int     `json:"step"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
}

// DatasetFiles are the names DatasetSHA256 must have.
var DatasetFiles = []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}

// requiredKeys lists, per JSON object of run.json, every key a reader
// needs: a missing one is refused as firmly as an unknown one.
var requiredKeys = map[string][]string{
	"":                {"format", "app_version", "run_id", "status", "reason", "started_at", "ended_at", "config", "seed", "preset", "architecture", "kernel_path", "dataset_sha256", "model"},
	"config":          {fmnist.FieldEpochs, fmnist.FieldBatchSize, fmnist.FieldLR, fmnist.FieldSeed, fmnist.FieldTrainLimit},
	"model":           {"epoch", "batch", "test_accuracy", "saved_at", "position", "optimizer"},
	"model.position":  {"train_images", "epoch_loss_sum", "epoch_images", "interval_loss_sum", "interval_batches"},
	"model.optimizer": {"name", "step", "beta1", "beta2", "eps"},
}

// decodeManifest reads run.json strictly: no unknown key, no missing one,
// nothing after the object, and values that make sense together.
func decodeManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("run.json: %w", err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("run.json: unexpected data after the object")
	}
	if err := checkRequired(data, ""); err != nil {
		return Manifest{}, err
	}
	if err := m.validate(); err != nil {
		return Manifest{}, fmt.Errorf("run.json: %w", err)
	}
	return m, nil
}

// checkRequired checks that the object at path (dot-separated) in data has
// every key requiredKeys lists for it, and so on for its nested objects.
func checkRequired(data []byte, path string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("run.json: %s: %w", nameOf(path), err)
	}
	for _, k := range requiredKeys[path] {
		raw, ok := obj[k]
		if !ok {
			return fmt.Errorf("run.json: %s lacks the key %q", nameOf(path), k)
		}
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		if _, nested := requiredKeys[sub]; nested {
			if err := checkRequired(raw, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func nameOf(path string) string {
	if path == "" {
		return "the top object"
	}
	return fmt.Sprintf("%q", path)
}

func (m Manifest) validate() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("format %q is not %q", m.Format, FormatVersion)
	case !m.Status.Ended():
		return fmt.Errorf("status %q is not that of an ended run", m.Status)
	case m.Seed != m.Config.Seed:
		return fmt.Errorf("seed %d differs from the config's seed %d", m.Seed, m.Config.Seed)
	case m.Model.Optimizer.Name != "adam" && m.Model.Optimizer.Name != "adamw" && m.Model.Optimizer.Name != "sgd":
		return fmt.Errorf("optimizer %q is not adam, adamw or sgd", m.Model.Optimizer.Name)
	case m.Model.Epoch < 0 || m.Model.Batch < 0 || m.Model.Optimizer.Step < 0:
		return fmt.Errorf("model position (epoch %d, batch %d, step %d) is negative", m.Model.Epoch, m.Model.Batch, m.Model.Optimizer.Step)
	case len(m.DatasetSHA256) != len(DatasetFiles):
		return fmt.Errorf("dataset_sha256 names %d files, want the %d dataset files", len(m.DatasetSHA256), len(DatasetFiles))
	}
	if err := m.Config.Validate(0); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for _, f := range DatasetFiles {
		sum := m.DatasetSHA256[f]
		if len(sum) != 64 || !isHex(sum) {
			return fmt.Errorf("dataset_sha256 of %s is %q, not a hex SHA-256", f, sum)
		}
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
