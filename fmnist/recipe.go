package fmnist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Recipe is how a run trains beyond epochs, batch size and learning rate:
// the network's shape, the schedule, the optimiser, augmentation and
// evaluation. It is embedded in Config, so its JSON names sit beside
// Config's (they are the form's and the API's names too).
//
// A blank field (empty string, or 0 where 0 is not allowed) means the
// baseline's value; Filled makes that explicit. Configs stored before
// recipes existed therefore read as baseline runs.
type Recipe struct {
	Preset string `json:"preset"` // PresetBaseline, PresetBN or PresetBest

	// The network: the widths of the two 3x3 convolutions and of the hidden
	// dense layer, batch normalisation after each convolution, and the
	// dropout before the last layer.
	Conv1     int     `json:"conv1"`
	Conv2     int     `json:"conv2"`
	Dense     int     `json:"dense"`
	BatchNorm bool    `json:"batch_norm"`
	Dropout   float64 `json:"dropout"`

	// The learning-rate schedule over the run (see Config.LearningRate):
	// ScheduleStep multiplies LR by StepFactor every StepEvery epochs;
	// ScheduleCosine anneals LR to FinalLR; ScheduleOneCycle rises from LR
	// to PeakLR over the first Warmup of the run, then anneals to FinalLR.
	Schedule   string  `json:"schedule"`
	StepFactor float64 `json:"step_factor"`
	StepEvery  int     `json:"step_every"` // epochs
	Warmup     float64 `json:"warmup"`     // fraction of the run, for onecycle
	PeakLR     float64 `json:"peak_lr"`
	FinalLR    float64 `json:"final_lr"`

	// The optimiser: OptimizerAdam, OptimizerAdamW (decoupled WeightDecay)
	// or OptimizerSGD (Nesterov Momentum, WeightDecay added to the gradient).
	Optimizer   string  `json:"optimizer"`
	WeightDecay float64 `json:"weight_decay"`
	Momentum    float64 `json:"momentum"`

	// Augmentation of each training batch: a random crop after zero padding
	// of Crop pixels (0: off), a horizontal flip of half the images, and
	// random erasing of a rectangle with probability Erase (0: off).
	Crop  int     `json:"crop"`
	Flip  bool    `json:"flip"`
	Erase float64 `json:"erase"`

	LabelSmoothing float64 `json:"label_smoothing"`
	// TTA averages each test image's prediction with its mirror image's.
	TTA bool `json:"tta"`
	// Val holds out the last Val training images, evaluated each epoch.
	Val int `json:"val"`
	// TimeLimit ends training after this many seconds of training (0: none),
	// then evaluates.
	TimeLimit int `json:"time_limit"`
}

// The presets.
const (
	PresetBaseline = "baseline"
	PresetBN       = "bn"
	PresetBest     = "best"
)

// Presets lists the presets in the order the form offers them.
var Presets = []string{PresetBaseline, PresetBN, PresetBest}

// The schedules.
const (
	ScheduleConstant = "constant"
	ScheduleStep     = "step"
	ScheduleCosine   = "cosine"
	ScheduleOneCycle = "onecycle"
)

// Schedules lists the schedules.
var Schedules = []string{ScheduleConstant, ScheduleStep, ScheduleCosine, ScheduleOneCycle}

// The optimisers.
const (
	OptimizerAdam  = "adam"
	OptimizerAdamW = "adamw"
	OptimizerSGD   = "sgd"
)

// Optimizers lists the optimisers.
var Optimizers = []string{OptimizerAdam, OptimizerAdamW, OptimizerSGD}

// The names of Recipe's fields, as in its JSON.
const (
	FieldPreset         = "preset"
	FieldConv1          = "conv1"
	FieldConv2          = "conv2"
	FieldDense          = "dense"
	FieldBatchNorm      = "batch_norm"
	FieldDropout        = "dropout"
	FieldSchedule       = "schedule"
	FieldStepFactor     = "step_factor"
	FieldStepEvery      = "step_every"
	FieldWarmup         = "warmup"
	FieldPeakLR         = "peak_lr"
	FieldFinalLR        = "final_lr"
	FieldOptimizer      = "optimizer"
	FieldWeightDecay    = "weight_decay"
	FieldMomentum       = "momentum"
	FieldCrop           = "crop"
	FieldFlip           = "flip"
	FieldErase          = "erase"
	FieldLabelSmoothing = "label_smoothing"
	FieldTTA            = "tta"
	FieldVal            = "val"
	FieldTimeLimit      = "time_limit"
)

// Limits of the recipe's fields, shared by validation and the form.
const (
	MaxConvWidth      = 256
	MaxDenseWidth     = 2048
	MaxDropout        = 0.7
	MaxCrop           = 4
	MaxLabelSmoothing = 0.3
	MaxTimeLimit      = 24 * 60 * 60 // seconds
)

// baselineRecipe is today's network and recipe: the PyTorch reference's.
func baselineRecipe() Recipe {
	return Recipe{
		Preset: PresetBaseline, Conv1: 32, Conv2: 64, Dense: 128,
		Schedule: ScheduleConstant, StepFactor: 0.1, StepEvery: 1, Warmup: 0.25, PeakLR: 4e-3, FinalLR: 0,
		Optimizer: OptimizerAdam, Momentum: 0.9,
	}
}

// Preset returns the configuration a preset stands for, with the default
// seed; ok is false for an unknown name. The caller may change any field.
func Preset(name string) (c Config, ok bool) {
	c = Config{Epochs: 3, BatchSize: 64, LR: 1e-3, Seed: 1, Recipe: baselineRecipe()}
	switch name {
	case PresetBaseline, "":
	case PresetBN:
		c.Preset, c.BatchNorm = PresetBN, true
	case PresetBest:
		// The airbench ingredients on this network (see the README for how
		// it fared on the validation split): batch norm, AdamW on a
		// one-cycle schedule, crop and flip, label smoothing and flip TTA,
		// for ten minutes of training; with the time limit the schedule
		// anneals by the deadline whatever the machine's speed.
		c.Preset, c.BatchNorm = PresetBest, true
		c.Conv1, c.Conv2, c.Dense, c.Dropout = 32, 64, 256, 0.25
		c.Epochs, c.BatchSize, c.LR = 30, 128, 4e-4
		c.Schedule, c.Warmup, c.PeakLR, c.FinalLR = ScheduleOneCycle, 0.2, 4e-3, 1e-5
		c.Optimizer, c.WeightDecay = OptimizerAdamW, 5e-4
		c.Crop, c.Flip = 2, true
		c.LabelSmoothing, c.TTA = 0.1, true
		c.TimeLimit = 10 * 60
	default:
		return Config{}, false
	}
	return c, true
}

// Filled returns r with its blank fields set to the baseline's values (the
// preset stays as named; only blanks change).
func (r Recipe) Filled() Recipe {
	b := baselineRecipe()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fillF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	if r.Preset == "" {
		r.Preset = b.Preset
	}
	fill(&r.Conv1, b.Conv1)
	fill(&r.Conv2, b.Conv2)
	fill(&r.Dense, b.Dense)
	if r.Schedule == "" {
		r.Schedule = b.Schedule
	}
	fillF(&r.StepFactor, b.StepFactor)
	fill(&r.StepEvery, b.StepEvery)
	fillF(&r.PeakLR, b.PeakLR)
	if r.Optimizer == "" {
		r.Optimizer = b.Optimizer
	}
	return r
}

// validateRecipe checks c's recipe (blanks filled) against a training set
// of trainSize images (0 when not known yet), returning an EINVALID Error
// naming the first bad field.
func (c Config) validateRecipe(trainSize int) error {
	r := c.Recipe.Filled()
	between := func(v, lo, hi float64) bool { return v >= lo && v <= hi && !math.IsNaN(v) }
	switch {
	case !slices.Contains(Presets, r.Preset):
		return FieldError(FieldPreset, fmt.Sprintf("must be one of %v", Presets))
	case r.Conv1 < 1 || r.Conv1 > MaxConvWidth:
		return FieldError(FieldConv1, fmt.Sprintf("must be between 1 and %d channels", MaxConvWidth))
	case r.Conv2 < 1 || r.Conv2 > MaxConvWidth:
		return FieldError(FieldConv2, fmt.Sprintf("must be between 1 and %d channels", MaxConvWidth))
	case r.Dense < 1 || r.Dense > MaxDenseWidth:
		return FieldError(FieldDense, fmt.Sprintf("must be between 1 and %d units", MaxDenseWidth))
	case !between(r.Dropout, 0, MaxDropout):
		return FieldError(FieldDropout, fmt.Sprintf("must be between 0 and %g", MaxDropout))
	case !slices.Contains(Schedules, r.Schedule):
		return FieldError(FieldSchedule, fmt.Sprintf("must be one of %v", Schedules))
	case !(r.StepFactor > 0 && r.StepFactor <= 1):
		return FieldError(FieldStepFactor, "must be greater than 0 and at most 1")
	case r.StepEvery < 1 || r.StepEvery > 1000:
		return FieldError(FieldStepEvery, "must be between 1 and 1000 epochs")
	case !between(r.Warmup, 0, 0.9):
		return FieldError(FieldWarmup, "must be a fraction of the run between 0 and 0.9")
	case !(r.PeakLR > 0 && r.PeakLR <= 1):
		return FieldError(FieldPeakLR, "must be greater than 0 and at most 1")
	case !between(r.FinalLR, 0, 1):
		return FieldError(FieldFinalLR, "must be between 0 and 1")
	case !slices.Contains(Optimizers, r.Optimizer):
		return FieldError(FieldOptimizer, fmt.Sprintf("must be one of %v", Optimizers))
	case !between(r.WeightDecay, 0, 0.1):
		return FieldError(FieldWeightDecay, "must be between 0 and 0.1")
	case !between(r.Momentum, 0, 0.999):
		return FieldError(FieldMomentum, "must be between 0 and 0.999")
	case r.Crop < 0 || r.Crop > MaxCrop:
		return FieldError(FieldCrop, fmt.Sprintf("must be 0 (off) or a padding of 1 to %d pixels", MaxCrop))
	case !between(r.Erase, 0, 1):
		return FieldError(FieldErase, "must be a probability between 0 (off) and 1")
	case !between(r.LabelSmoothing, 0, MaxLabelSmoothing):
		return FieldError(FieldLabelSmoothing, fmt.Sprintf("must be between 0 and %g", MaxLabelSmoothing))
	case r.Val < 0:
		return FieldError(FieldVal, "must be 0 (none) or a number of training images to hold out")
	case r.TimeLimit < 0 || r.TimeLimit > MaxTimeLimit:
		return FieldError(FieldTimeLimit, fmt.Sprintf("must be 0 (none) or up to %d seconds", MaxTimeLimit))
	}
	if trainSize > 0 && r.Val >= trainSize {
		return FieldError(FieldVal, fmt.Sprintf("must leave training images: the training set has %d", trainSize))
	}
	return nil
}

// LearningRate is the schedule's learning rate at batch (counted from 0
// over the whole run) of a run of c with batchesPerEpoch batches an epoch.
// It is a pure function of its arguments, so the trainer and the form's
// preview draw the same curve.
func (c Config) LearningRate(batch, batchesPerEpoch int) float64 {
	r := c.Recipe.Filled()
	total := c.Epochs * batchesPerEpoch
	if total <= 0 || batchesPerEpoch <= 0 {
		return c.LR
	}
	batch = min(max(batch, 0), total-1)
	switch r.Schedule {
	case ScheduleStep:
		return c.LR * math.Pow(r.StepFactor, float64(batch/batchesPerEpoch/r.StepEvery))
	case ScheduleCosine:
		return cosineBetween(c.LR, r.FinalLR, float64(batch)/float64(max(total-1, 1)))
	case ScheduleOneCycle:
		warm := int(math.Round(r.Warmup * float64(total)))
		if batch < warm {
			// Linear warm-up from LR, reaching the peak at batch warm.
			return c.LR + (r.PeakLR-c.LR)*float64(batch)/float64(warm)
		}
		return cosineBetween(r.PeakLR, r.FinalLR, float64(batch-warm)/float64(max(total-1-warm, 1)))
	}
	return c.LR
}

// cosineBetween goes from a (at t=0) to b (at t=1) along half a cosine.
func cosineBetween(a, b, t float64) float64 {
	return b + (a-b)*(1+math.Cos(math.Pi*t))/2
}

// UnmarshalJSON decodes a Config, applying its "preset" first: the preset's
// values fill the config and the other keys given change them, so
// {"preset":"best","epochs":5} is the best recipe for 5 epochs. Without a
// preset key the keys given change c as it was. Unknown keys are refused,
// as are unknown presets (an EINVALID Error naming the field).
func (c *Config) UnmarshalJSON(data []byte) error {
	var probe struct {
		Preset *string `json:"preset"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return err
	}
	if probe.Preset != nil {
		p, ok := Preset(*probe.Preset)
		if !ok {
			return FieldError(FieldPreset, fmt.Sprintf("must be one of %v", Presets))
		}
		*c = p
	}
	type plain Config // without this method
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode((*plain)(c))
	// A wrong type in the embedded Recipe names its field "Recipe.crop";
	// the key is "crop".
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		typeErr.Field = strings.TrimPrefix(typeErr.Field, "Recipe.")
	}
	return err
}
