package fmnist

import "fmt"

// Config is what a user chooses for a training run. Its JSON names are the
// names of the form fields, the API's keys and the Field of a validation
// Error. The zero value is not valid; start from DefaultConfig.
type Config struct {
	Epochs     int     `json:"epochs"`
	BatchSize  int     `json:"batch_size"`
	LR         float64 `json:"lr"`
	Seed       int64   `json:"seed"`
	TrainLimit int     `json:"train_limit"` // use the first N training images; 0 means all
}

// The names of Config's fields, as in its JSON.
const (
	FieldEpochs     = "epochs"
	FieldBatchSize  = "batch_size"
	FieldLR         = "lr"
	FieldSeed       = "seed"
	FieldTrainLimit = "train_limit"
)

// DefaultConfig is the configuration the product promises: 3 epochs of Adam
// at 1e-3 with batches of 64 over the whole training set.
func DefaultConfig() Config {
	return Config{Epochs: 3, BatchSize: 64, LR: 1e-3, Seed: 1}
}

// TrainImages is how many of available training images a run of c uses:
// the first TrainLimit, or all of them.
func (c Config) TrainImages(available int) int {
	if c.TrainLimit > 0 && c.TrainLimit < available {
		return c.TrainLimit
	}
	return available
}

// BatchesPerEpoch is how many batches an epoch of c has on available
// training images; the last, partial batch counts.
func (c Config) BatchesPerEpoch(available int) int {
	return (c.TrainImages(available) + c.BatchSize - 1) / c.BatchSize
}

// Validate checks c against a training set of trainSize images (pass 0 when
// the set is not known yet). It returns an EINVALID Error naming the first
// bad field.
func (c Config) Validate(trainSize int) error {
	switch {
	case c.Epochs < 1 || c.Epochs > 1000:
		return FieldError(FieldEpochs, "must be between 1 and 1000")
	case c.BatchSize < 1 || c.BatchSize > 4096:
		return FieldError(FieldBatchSize, "must be between 1 and 4096")
	case !(c.LR > 0 && c.LR <= 10): // up to 10, so that a diverging run can be tried
		return FieldError(FieldLR, "must be greater than 0 and at most 10")
	case c.TrainLimit < 0:
		return FieldError(FieldTrainLimit, "must be 0 (all) or a positive number of images")
	}
	if trainSize > 0 {
		n := c.TrainImages(trainSize)
		if c.TrainLimit > trainSize {
			return FieldError(FieldTrainLimit, fmt.Sprintf("is larger than the training set (%d images)", trainSize))
		}
		if c.BatchSize > n {
			return FieldError(FieldBatchSize, fmt.Sprintf("is larger than the %d training images in use", n))
		}
	}
	return nil
}

// ConfigChanges are the fields of a Config to change, nil for those kept:
// a fork's overrides of its parent's config. The JSON names are Config's.
type ConfigChanges struct {
	Epochs     *int     `json:"epochs,omitempty"`
	BatchSize  *int     `json:"batch_size,omitempty"`
	LR         *float64 `json:"lr,omitempty"`
	Seed       *int64   `json:"seed,omitempty"`
	TrainLimit *int     `json:"train_limit,omitempty"`
}

// Apply returns c with the changes made; validate the result.
func (ch ConfigChanges) Apply(c Config) Config {
	if ch.Epochs != nil {
		c.Epochs = *ch.Epochs
	}
	if ch.BatchSize != nil {
		c.BatchSize = *ch.BatchSize
	}
	if ch.LR != nil {
		c.LR = *ch.LR
	}
	if ch.Seed != nil {
		c.Seed = *ch.Seed
	}
	if ch.TrainLimit != nil {
		c.TrainLimit = *ch.TrainLimit
	}
	return c
}
