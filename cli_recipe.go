package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// The recipe's flags of `fmnist train`. --preset fills the whole config
// first, so the flags given beside it change the preset's values; the
// compound flags (--schedule, --augment, --time-limit) parse into several
// Config fields.

// presetFromArgs finds the value of --preset in args without parsing the
// rest, so that the preset can give the other flags their defaults.
func presetFromArgs(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "preset" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return fmnist.PresetBaseline
}

// recipeFlags defines the recipe's flags on fs, writing into cfg.
func recipeFlags(fs *flag.FlagSet, cfg *fmnist.Config) {
	fs.Func("preset", fmt.Sprintf("recipe to start from: %s (default %s); other flags change its values", strings.Join(fmnist.Presets, ", "), cfg.Preset),
		func(string) error { return nil }) // read by presetFromArgs
	fs.IntVar(&cfg.Conv1, "conv1", cfg.Conv1, "channels of the first convolution")
	fs.IntVar(&cfg.Conv2, "conv2", cfg.Conv2, "channels of the second convolution")
	fs.IntVar(&cfg.Dense, "dense", cfg.Dense, "units of the hidden dense layer")
	fs.BoolVar(&cfg.BatchNorm, "batch-norm", cfg.BatchNorm, "batch normalisation after each convolution block")
	fs.Float64Var(&cfg.Dropout, "dropout", cfg.Dropout, "dropout before the last layer (0..0.7)")
	fs.Var(&scheduleFlag{cfg}, "schedule", "learning-rate schedule: constant, cosine, onecycle, or step:FACTOR:EVERY_EPOCHS")
	fs.Float64Var(&cfg.Warmup, "warmup", cfg.Warmup, "onecycle: fraction of the run spent warming up")
	fs.Float64Var(&cfg.PeakLR, "peak-lr", cfg.PeakLR, "onecycle: the peak learning rate")
	fs.Float64Var(&cfg.FinalLR, "final-lr", cfg.FinalLR, "cosine and onecycle: the learning rate at the end")
	fs.StringVar(&cfg.Optimizer, "optimizer", cfg.Optimizer, "optimiser: "+strings.Join(fmnist.Optimizers, ", "))
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", cfg.WeightDecay, "weight decay (decoupled for adamw)")
	fs.Float64Var(&cfg.Momentum, "momentum", cfg.Momentum, "sgd: Nesterov momentum")
	fs.Var(&augmentFlag{cfg}, "augment", "augmentation: comma-separated crop[:PIXELS], flip, erase[:PROBABILITY], or none")
	fs.Float64Var(&cfg.LabelSmoothing, "label-smoothing", cfg.LabelSmoothing, "label smoothing (0..0.3)")
	fs.BoolVar(&cfg.TTA, "tta", cfg.TTA, "evaluate with flip test-time augmentation")
	fs.IntVar(&cfg.Val, "val", cfg.Val, "hold out the last N training images as a validation split, evaluated each epoch")
	fs.Var(&timeLimitFlag{cfg}, "time-limit", "end training after this much training time, then evaluate (e.g. 10m; 0: none)")
}

// recipeFlagOf names the flag that sets each recipe field, for
// configFlagError.
var recipeFlagOf = map[string]string{
	fmnist.FieldPreset: "preset", fmnist.FieldConv1: "conv1", fmnist.FieldConv2: "conv2", fmnist.FieldDense: "dense",
	fmnist.FieldBatchNorm: "batch-norm", fmnist.FieldDropout: "dropout",
	fmnist.FieldSchedule: "schedule", fmnist.FieldStepFactor: "schedule", fmnist.FieldStepEvery: "schedule",
	fmnist.FieldWarmup: "warmup", fmnist.FieldPeakLR: "peak-lr", fmnist.FieldFinalLR: "final-lr",
	fmnist.FieldOptimizer: "optimizer", fmnist.FieldWeightDecay: "weight-decay", fmnist.FieldMomentum: "momentum",
	fmnist.FieldCrop: "augment", fmnist.FieldFlip: "augment", fmnist.FieldErase: "augment",
	fmnist.FieldLabelSmoothing: "label-smoothing", fmnist.FieldTTA: "tta", fmnist.FieldVal: "val",
	fmnist.FieldTimeLimit: "time-limit",
}

// scheduleFlag parses "constant", "cosine", "onecycle" or
// "step:FACTOR:EVERY".
type scheduleFlag struct{ cfg *fmnist.Config }

func (f *scheduleFlag) String() string {
	if f.cfg == nil {
		return ""
	}
	if f.cfg.Schedule == fmnist.ScheduleStep {
		return fmt.Sprintf("step:%g:%d", f.cfg.StepFactor, f.cfg.StepEvery)
	}
	return f.cfg.Schedule
}

func (f *scheduleFlag) Set(text string) error {
	name, params, _ := strings.Cut(text, ":")
	if !slices.Contains(fmnist.Schedules, name) {
		return fmt.Errorf("must be one of %s, as in step:0.1:2", strings.Join(fmnist.Schedules, ", "))
	}
	f.cfg.Schedule = name
	if name != fmnist.ScheduleStep {
		if params != "" {
			return fmt.Errorf("%s takes no parameters here; use --warmup, --peak-lr and --final-lr", name)
		}
		return nil
	}
	if params == "" {
		return nil // the preset's factor and period
	}
	factor, every, ok := strings.Cut(params, ":")
	var err error
	if f.cfg.StepFactor, err = strconv.ParseFloat(factor, 64); err != nil {
		return errors.New("step's factor must be a number, as in step:0.1:2")
	}
	if ok {
		if f.cfg.StepEvery, err = strconv.Atoi(every); err != nil {
			return errors.New("step's period must be a whole number of epochs, as in step:0.1:2")
		}
	}
	return nil
}

// augmentFlag parses "crop:2,flip,erase:0.5" (or "none").
type augmentFlag struct{ cfg *fmnist.Config }

func (f *augmentFlag) String() string {
	if f.cfg == nil {
		return ""
	}
	var parts []string
	if f.cfg.Crop > 0 {
		parts = append(parts, fmt.Sprintf("crop:%d", f.cfg.Crop))
	}
	if f.cfg.Flip {
		parts = append(parts, "flip")
	}
	if f.cfg.Erase > 0 {
		parts = append(parts, fmt.Sprintf("erase:%g", f.cfg.Erase))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// Default parameters of --augment crop and erase given without one.
const (
	defaultCrop  = 2
	defaultErase = 0.5
)

func (f *augmentFlag) Set(text string) error {
	f.cfg.Crop, f.cfg.Flip, f.cfg.Erase = 0, false, 0
	if text == "none" || text == "" {
		return nil
	}
	for part := range strings.SplitSeq(text, ",") {
		name, param, hasParam := strings.Cut(strings.TrimSpace(part), ":")
		switch name {
		case "crop":
			f.cfg.Crop = defaultCrop
			if hasParam {
				n, err := strconv.Atoi(param)
				if err != nil {
					return fmt.Errorf("crop's padding must be a whole number of pixels, as in crop:2")
				}
				f.cfg.Crop = n
			}
		case "flip":
			if hasParam {
				return errors.New("flip takes no parameter")
			}
			f.cfg.Flip = true
		case "erase":
			f.cfg.Erase = defaultErase
			if hasParam {
				p, err := strconv.ParseFloat(param, 64)
				if err != nil {
					return fmt.Errorf("erase's probability must be a number, as in erase:0.5")
				}
				f.cfg.Erase = p
			}
		default:
			return fmt.Errorf("%q is not crop, flip, erase or none", name)
		}
	}
	return nil
}

// timeLimitFlag parses a duration such as 10m (or seconds as a number).
type timeLimitFlag struct{ cfg *fmnist.Config }

func (f *timeLimitFlag) String() string {
	if f.cfg == nil || f.cfg.TimeLimit == 0 {
		return "0"
	}
	return (time.Duration(f.cfg.TimeLimit) * time.Second).String()
}

func (f *timeLimitFlag) Set(text string) error {
	if n, err := strconv.Atoi(text); err == nil {
		f.cfg.TimeLimit = n
		return nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return errors.New("must be a duration such as 10m or 90s")
	}
	if d%time.Second != 0 {
		return errors.New("must be whole seconds")
	}
	f.cfg.TimeLimit = int(d / time.Second)
	return nil
}

// recipeText says cfg's recipe on one line.
func recipeText(cfg fmnist.Config) string {
	r := cfg.Recipe.Filled()
	net := fmt.Sprintf("conv %d/%d, dense %d", r.Conv1, r.Conv2, r.Dense)
	if r.BatchNorm {
		net += ", batch norm"
	}
	if r.Dropout > 0 {
		net += fmt.Sprintf(", dropout %g", r.Dropout)
	}
	sched := (&scheduleFlag{&cfg}).String()
	switch r.Schedule {
	case fmnist.ScheduleCosine:
		sched += fmt.Sprintf(" to %g", r.FinalLR)
	case fmnist.ScheduleOneCycle:
		sched += fmt.Sprintf(" (warm-up %g to %g, then to %g)", r.Warmup, r.PeakLR, r.FinalLR)
	}
	opt := r.Optimizer
	if r.WeightDecay > 0 {
		opt += fmt.Sprintf(" weight decay %g", r.WeightDecay)
	}
	if r.Optimizer == fmnist.OptimizerSGD {
		opt += fmt.Sprintf(" momentum %g", r.Momentum)
	}
	text := fmt.Sprintf("%s: %s; %s schedule; %s; augment %s", r.Preset, net, sched, opt, (&augmentFlag{&cfg}).String())
	if r.LabelSmoothing > 0 {
		text += fmt.Sprintf("; label smoothing %g", r.LabelSmoothing)
	}
	if r.TTA {
		text += "; flip TTA"
	}
	if r.Val > 0 {
		text += fmt.Sprintf("; %d validation images", r.Val)
	}
	if r.TimeLimit > 0 {
		text += "; time limit " + (&timeLimitFlag{&cfg}).String()
	}
	return text
}
