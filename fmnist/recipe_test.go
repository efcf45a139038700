package fmnist

import (
	"encoding/json"
	"math"
	"testing"
)

func TestPresetsAreValid(t *testing.T) {
	for _, name := range Presets {
		c, ok := Preset(name)
		if !ok {
			t.Fatalf("Preset(%q) unknown", name)
		}
		if c.Preset != name {
			t.Errorf("Preset(%q).Preset = %q", name, c.Preset)
		}
		if err := c.Validate(60000); err != nil {
			t.Errorf("Preset(%q) is invalid: %v", name, err)
		}
	}
	if _, ok := Preset("fastest"); ok {
		t.Error(`Preset("fastest") is known`)
	}
	if d := DefaultConfig(); d.Preset != PresetBaseline || d.Epochs != 3 || d.BatchSize != 64 || d.LR != 1e-3 || d.BatchNorm || d.Optimizer != OptimizerAdam || d.Schedule != ScheduleConstant {
		t.Errorf("DefaultConfig() = %+v; want today's baseline", d)
	}
}

// A config stored before recipes existed reads as a baseline run.
func TestOldConfigReadsAsBaseline(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"epochs":2,"batch_size":32,"lr":0.005,"seed":7,"train_limit":1000}`), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(60000); err != nil {
		t.Fatalf("old config invalid: %v", err)
	}
	base, _ := Preset(PresetBaseline)
	// Warm-up and momentum may be 0, so they stay blank; neither counts
	// for a constant schedule and Adam.
	base.Warmup, base.Momentum = 0, 0
	if got := c.Recipe.Filled(); got != base.Recipe {
		t.Errorf("old config's recipe = %+v; want the baseline's %+v", got, base.Recipe)
	}
	if got := c.LearningRate(100, 10); got != 0.005 {
		t.Errorf("old config's learning rate = %g; want the constant 0.005", got)
	}
}

func TestRecipeValidationNamesTheField(t *testing.T) {
	cases := []struct {
		field  string
		change func(*Config)
	}{
		{FieldPreset, func(c *Config) { c.Preset = "fast" }},
		{FieldConv1, func(c *Config) { c.Conv1 = -1 }},
		{FieldConv2, func(c *Config) { c.Conv2 = MaxConvWidth + 1 }},
		{FieldDense, func(c *Config) { c.Dense = MaxDenseWidth + 1 }},
		{FieldDropout, func(c *Config) { c.Dropout = 0.9 }},
		{FieldDropout, func(c *Config) { c.Dropout = math.NaN() }},
		{FieldSchedule, func(c *Config) { c.Schedule = "linear" }},
		{FieldStepFactor, func(c *Config) { c.StepFactor = 2 }},
		{FieldStepEvery, func(c *Config) { c.StepEvery = -1 }},
		{FieldWarmup, func(c *Config) { c.Warmup = 1 }},
		{FieldPeakLR, func(c *Config) { c.PeakLR = 3 }},
		{FieldFinalLR, func(c *Config) { c.FinalLR = -1 }},
		{FieldOptimizer, func(c *Config) { c.Optimizer = "lion" }},
		{FieldWeightDecay, func(c *Config) { c.WeightDecay = 1 }},
		{FieldMomentum, func(c *Config) { c.Momentum = 1 }},
		{FieldCrop, func(c *Config) { c.Crop = 5 }},
		{FieldErase, func(c *Config) { c.Erase = 1.5 }},
		{FieldLabelSmoothing, func(c *Config) { c.LabelSmoothing = 0.31 }},
		{FieldVal, func(c *Config) { c.Val = -5 }},
		{FieldVal, func(c *Config) { c.Val = 60000 }},
		{FieldTimeLimit, func(c *Config) { c.TimeLimit = -1 }},
		{FieldTrainLimit, func(c *Config) { c.Val, c.TrainLimit = 10000, 55000 }},
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.change(&c)
		err := c.Validate(60000)
		if got := ErrorField(err); got != tc.field {
			t.Errorf("%+v: Validate = %v; want an error naming %s", c.Recipe, err, tc.field)
		}
	}
}

func TestValHoldsOutTheLastImages(t *testing.T) {
	c := DefaultConfig()
	c.Val = 5000
	if got := c.TrainImages(60000); got != 55000 {
		t.Errorf("TrainImages = %d; want 55000", got)
	}
	c.TrainLimit = 1000
	if got := c.TrainImages(60000); got != 1000 {
		t.Errorf("TrainImages with a limit = %d; want 1000", got)
	}
}

func TestLearningRateSchedules(t *testing.T) {
	const perEpoch = 100
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
	c := DefaultConfig()
	c.Epochs, c.LR = 4, 0.01

	c.Schedule, c.StepFactor, c.StepEvery = ScheduleStep, 0.1, 2
	for _, tc := range []struct {
		batch int
		want  float64
	}{{0, 0.01}, {199, 0.01}, {200, 0.001}, {399, 0.001}, {1000, 0.001}} {
		if got := c.LearningRate(tc.batch, perEpoch); !near(got, tc.want) {
			t.Errorf("step: batch %d: %g; want %g", tc.batch, got, tc.want)
		}
	}

	c.Schedule, c.FinalLR = ScheduleCosine, 0.001
	if got := c.LearningRate(0, perEpoch); !near(got, 0.01) {
		t.Errorf("cosine starts at %g; want 0.01", got)
	}
	if got := c.LearningRate(399, perEpoch); !near(got, 0.001) {
		t.Errorf("cosine ends at %g; want 0.001", got)
	}

	c.Schedule, c.Warmup, c.PeakLR, c.FinalLR = ScheduleOneCycle, 0.25, 0.05, 0.0001
	want := []struct {
		batch int
		lr    float64
	}{{0, 0.01}, {50, 0.03}, {100, 0.05}, {399, 0.0001}}
	for _, w := range want {
		if got := c.LearningRate(w.batch, perEpoch); !near(got, w.lr) {
			t.Errorf("onecycle: batch %d: %g; want %g", w.batch, got, w.lr)
		}
	}
	prev := c.LearningRate(100, perEpoch)
	for b := 101; b < 400; b++ {
		lr := c.LearningRate(b, perEpoch)
		if lr > prev {
			t.Fatalf("onecycle rises after the peak: batch %d: %g > %g", b, lr, prev)
		}
		prev = lr
	}

	c.Schedule = ScheduleConstant
	if got := c.LearningRate(250, perEpoch); got != 0.01 {
		t.Errorf("constant: %g; want 0.01", got)
	}
}

func TestConfigJSONAppliesThePresetFirst(t *testing.T) {
	c := DefaultConfig()
	if err := json.Unmarshal([]byte(`{"epochs":5,"preset":"best","crop":3}`), &c); err != nil {
		t.Fatal(err)
	}
	best, _ := Preset(PresetBest)
	best.Epochs, best.Crop = 5, 3
	if c != best {
		t.Errorf("decoded %+v; want the best preset with epochs 5 and crop 3: %+v", c, best)
	}
	c = DefaultConfig()
	c.Epochs = 9
	if err := json.Unmarshal([]byte(`{"lr":0.01}`), &c); err != nil || c.Epochs != 9 || c.LR != 0.01 || c.Preset != PresetBaseline {
		t.Errorf("without a preset: %+v, %v; want the keys given changed only", c, err)
	}
	err := json.Unmarshal([]byte(`{"preset":"fast"}`), &c)
	if ErrorField(err) != FieldPreset {
		t.Errorf("unknown preset: %v; want an error naming preset", err)
	}
	if err := json.Unmarshal([]byte(`{"presets":"bn"}`), &c); err == nil {
		t.Error("an unknown key was accepted")
	}
	// A stored config reads back as it was written.
	b, _ := json.Marshal(best)
	var back Config
	if err := json.Unmarshal(b, &back); err != nil || back != best {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
