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
	Recipe             // the network, schedule, optimiser, augmentation; see recipe.go
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
// at 1e-3 with batches of 64 over the whole training set, the baseline preset.
func DefaultConfig() Config {
	c, _ := Preset(PresetBaseline)
	return c
}

// TrainImages is how many of available training images a run of c trains
// on: the first TrainLimit, or all of them, of those left after holding out
// the last Val for validation.
func (c Config) TrainImages(available int) int {
	available = max(available-c.Val, 0)
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
// the set is not known yet). It returns nil, or an EINVALID Error that
// lists every bad field (Fields), the first also as its Field.
func (c Config) Validate(trainSize int) error {
	var errs FieldErrors
	for _, check := range configChecks {
		check(c, trainSize, &errs)
	}
	return errs.Err()
}

// ConfigCheck adds to errs what is wrong with some fields of c on a training
// set of trainSize images (0: not known). A check that needs a field another
// check found wrong skips (errs.Has).
type ConfigCheck func(c Config, trainSize int, errs *FieldErrors)

// configChecks run in this order, which is the order the user is told of
// the faults in (the form's order). A new field adds its check here.
var configChecks = []ConfigCheck{checkRanges, checkRecipe, checkTrainSet}

// checkRanges checks each field on its own.
func checkRanges(c Config, _ int, errs *FieldErrors) {
	if c.Epochs < 1 || c.Epochs > 1000 {
		errs.Add(FieldEpochs, "must be between 1 and 1000")
	}
	if c.BatchSize < 1 || c.BatchSize > 4096 {
		errs.Add(FieldBatchSize, "must be between 1 and 4096")
	}
	if !(c.LR > 0 && c.LR <= 10) { // up to 10, so that a diverging run can be tried
		errs.Add(FieldLR, "must be greater than 0 and at most 10")
	}
	if c.TrainLimit < 0 {
		errs.Add(FieldTrainLimit, "must be 0 (all) or a positive number of images")
	}
}

// checkTrainSet checks the fields that depend on the size of the training set.
func checkTrainSet(c Config, trainSize int, errs *FieldErrors) {
	if trainSize <= 0 {
		return
	}
	if c.TrainLimit > trainSize-c.Val && !errs.Has(FieldVal) {
		held := ""
		if c.Val > 0 {
			held = fmt.Sprintf(", less %d held out by %s", c.Val, FieldVal)
		}
		errs.Add(FieldTrainLimit, fmt.Sprintf("is larger than the training set (%d images%s)", trainSize, held))
	}
	if n := c.TrainImages(trainSize); c.BatchSize > n && !errs.Has(FieldTrainLimit) {
		errs.Add(FieldBatchSize, fmt.Sprintf("is larger than the %d training images in use", n))
	}
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
