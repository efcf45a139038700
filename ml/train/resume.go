package train

import (
	"fmt"
	"path/filepath"

	"github.com/fmnist/trainer/fmnist"
)

// Resumable returns nil when a run can continue from c: it must carry the
// optimiser state, the configuration and the position in the data, which
// version 1 files (and files saved outside a run) do not. Its error is an
// ECONFLICT fmnist.Error for the user.
func (c *Checkpoint) Resumable() error {
	name := filepath.Base(c.Path)
	if c.Version < CheckpointVersion || c.Adam == nil {
		return fmnist.Errorf(fmnist.ECONFLICT,
			"Checkpoint %s predates resumable checkpoints: format version %d keeps the weights only, without the optimiser state and the position in the data. It still serves predictions, but no run can continue from it.",
			name, c.Version)
	}
	if c.Meta.Config == nil || c.Meta.Position == nil {
		return fmnist.Errorf(fmnist.ECONFLICT,
			"Checkpoint %s was not saved by a training run (it has no configuration or position in the data), so no run can continue from it.", name)
	}
	return nil
}

// next is where a run continued from c starts: the epoch and the state of
// that epoch's batches done so far (none when c is at an epoch's end).
func (c *Checkpoint) next() (epoch int, start epochSums) {
	if c.Meta.Batch == 0 {
		return c.Meta.Epoch + 1, epochSums{}
	}
	p := c.Meta.Position
	return c.Meta.Epoch, epochSums{batch: c.Meta.Batch, lossSum: p.EpochLossSum, images: p.EpochImages,
		intervalSum: p.IntervalLossSum, intervalBatches: p.IntervalBatches}
}

// EpochsDone is how many whole epochs the run had trained when c was saved.
func (c *Checkpoint) EpochsDone() int {
	if c.Meta.Batch == 0 {
		return c.Meta.Epoch
	}
	return c.Meta.Epoch - 1
}

// CanContinue returns nil when a run with cfg, on a training set of
// trainSize images, can continue from c. A checkpoint in the middle of an
// epoch needs the rest of that epoch's data order: the same batch size,
// seed and number of images. The run must also have epochs left. Its errors
// are fmnist.Errors (EINVALID naming the field, or ECONFLICT).
func (c *Checkpoint) CanContinue(cfg fmnist.Config, trainSize int) error {
	if err := c.Resumable(); err != nil {
		return err
	}
	if err := cfg.Validate(trainSize); err != nil {
		return err
	}
	if err := c.sameNetwork(cfg); err != nil {
		return err
	}
	if c.Meta.Batch > 0 {
		was, pos := *c.Meta.Config, c.Meta.Position
		why := fmt.Sprintf("the checkpoint is in the middle of epoch %d (after batch %d), whose remaining batches need the same data order", c.Meta.Epoch, c.Meta.Batch)
		switch {
		case cfg.BatchSize != was.BatchSize:
			return fmnist.FieldError(fmnist.FieldBatchSize, fmt.Sprintf("must stay %d: %s", was.BatchSize, why))
		case cfg.Seed != was.Seed:
			return fmnist.FieldError(fmnist.FieldSeed, fmt.Sprintf("must stay %d: %s", was.Seed, why))
		case cfg.TrainImages(trainSize) != pos.TrainImages:
			return fmnist.FieldError(fmnist.FieldTrainLimit, fmt.Sprintf("must give %d training images again: %s", pos.TrainImages, why))
		case c.Meta.Batch >= cfg.BatchesPerEpoch(trainSize):
			return fmnist.Errorf(fmnist.ECONFLICT, "Checkpoint %s says batch %d of epoch %d, but the epoch has only %d batches.",
				filepath.Base(c.Path), c.Meta.Batch, c.Meta.Epoch, cfg.BatchesPerEpoch(trainSize))
		}
	}
	if done := c.EpochsDone(); cfg.Epochs <= done {
		return fmnist.FieldError(fmnist.FieldEpochs, fmt.Sprintf("must be more than %d: the checkpoint has trained that many epochs already", done))
	}
	return nil
}

// sameNetwork refuses a run of cfg from c when cfg asks for another network
// or optimiser than the one c holds: a checkpoint of one preset (or shape)
// does not load into another. The error names both presets.
func (c *Checkpoint) sameNetwork(cfg fmnist.Config) error {
	was, now := c.Meta.Config.Recipe.Filled(), cfg.Recipe.Filled()
	wasSpec, nowSpec := NetworkSpec(*c.Meta.Config), NetworkSpec(cfg)
	name := filepath.Base(c.Path)
	if wasSpec.Architecture() != nowSpec.Architecture() {
		return fmnist.FieldError(fmnist.FieldPreset, fmt.Sprintf(
			"checkpoint %s holds a network of preset %q (%s), which preset %q (%s) cannot continue: choose preset %q with the same network",
			name, was.Preset, describeNetwork(wasSpec), now.Preset, describeNetwork(nowSpec), was.Preset))
	}
	if was.Optimizer != now.Optimizer {
		return fmnist.FieldError(fmnist.FieldOptimizer, fmt.Sprintf(
			"must stay %s: checkpoint %s (preset %q) holds %s's state, which preset %q with %s cannot continue",
			was.Optimizer, name, was.Preset, was.Optimizer, now.Preset, now.Optimizer))
	}
	return nil
}
