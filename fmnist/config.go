package fmnist

import (
	"encoding/json"
	"fmt"
)

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
// A fork starts from its parent's checkpoint, so the network's shape
// (NetworkFields) may only be sent unchanged.
type ConfigChanges struct {
	Epochs     *int     `json:"epochs,omitempty"`
	BatchSize  *int     `json:"batch_size,omitempty"`
	LR         *float64 `json:"lr,omitempty"`
	Seed       *int64   `json:"seed,omitempty"`
	TrainLimit *int     `json:"train_limit,omitempty"`

	// The network: refused unless the parent's.
	Preset    *string `json:"preset,omitempty"`
	Conv1     *int    `json:"conv1,omitempty"`
	Conv2     *int    `json:"conv2,omitempty"`
	Dense     *int    `json:"dense,omitempty"`
	BatchNorm *bool   `json:"batch_norm,omitempty"`

	// The rest of the recipe (see Recipe).
	Dropout        *float64 `json:"dropout,omitempty"`
	Schedule       *string  `json:"schedule,omitempty"`
	StepFactor     *float64 `json:"step_factor,omitempty"`
	StepEvery      *int     `json:"step_every,omitempty"`
	Warmup         *float64 `json:"warmup,omitempty"`
	PeakLR         *float64 `json:"peak_lr,omitempty"`
	FinalLR        *float64 `json:"final_lr,omitempty"`
	Optimizer      *string  `json:"optimizer,omitempty"`
	WeightDecay    *float64 `json:"weight_decay,omitempty"`
	Momentum       *float64 `json:"momentum,omitempty"`
	Crop           *int     `json:"crop,omitempty"`
	Flip           *bool    `json:"flip,omitempty"`
	Erase          *float64 `json:"erase,omitempty"`
	LabelSmoothing *float64 `json:"label_smoothing,omitempty"`
	TTA            *bool    `json:"tta,omitempty"`
	Val            *int     `json:"val,omitempty"`
	TimeLimit      *int     `json:"time_limit,omitempty"`
}

// NetworkFields are the recipe's fields that shape the network's weights:
// a run continued from a checkpoint keeps them.
var NetworkFields = []string{FieldPreset, FieldConv1, FieldConv2, FieldDense, FieldBatchNorm}

// Apply returns c with the changes made; validate the result. A change of
// the network (NetworkFields) is an EINVALID error naming each such field.
func (ch ConfigChanges) Apply(c Config) (Config, error) {
	r := c.Recipe.Filled()
	var errs FieldErrors
	keep := func(changed bool, field string, was any) {
		if changed {
			errs.Add(field, fmt.Sprintf("must stay the parent's, %v: a fork starts from its parent's checkpoint, whose network it keeps", was))
		}
	}
	keep(ch.Preset != nil && *ch.Preset != r.Preset, FieldPreset, r.Preset)
	keep(ch.Conv1 != nil && *ch.Conv1 != r.Conv1, FieldConv1, r.Conv1)
	keep(ch.Conv2 != nil && *ch.Conv2 != r.Conv2, FieldConv2, r.Conv2)
	keep(ch.Dense != nil && *ch.Dense != r.Dense, FieldDense, r.Dense)
	keep(ch.BatchNorm != nil && *ch.BatchNorm != r.BatchNorm, FieldBatchNorm, r.BatchNorm)
	if err := errs.Err(); err != nil {
		return c, err
	}
	// What is left changes c key by key, as a JSON body would (without a
	// preset key, which would start from the preset's values).
	ch.Preset, ch.Conv1, ch.Conv2, ch.Dense, ch.BatchNorm = nil, nil, nil, nil, nil
	raw, err := json.Marshal(ch)
	if err != nil {
		return c, fmt.Errorf("config changes: %w", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("config changes: %w", err)
	}
	return c, nil
}
