package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// trainSummary is the JSON line `fmnist train --json` ends with.
type trainSummary struct {
	RunID        string        `json:"run_id"`
	Epochs       int           `json:"epochs"`        // epochs completed
	TestAccuracy float64       `json:"test_accuracy"` // 0..1
	TestLoss     float64       `json:"test_loss"`
	ImagesPerSec float64       `json:"images_per_sec"`
	Seconds      float64       `json:"seconds"`
	Checkpoint   string        `json:"checkpoint"`
	Stopped      bool          `json:"stopped"`
	TrainImages  int           `json:"train_images"`
	TestImages   int           `json:"test_images"`
	Config       fmnist.Config `json:"config"`
	// The best evaluated epoch: by validation accuracy with --val, else by
	// test accuracy; its test (and validation) accuracy.
	BestEpoch       int     `json:"best_epoch"`
	BestAccuracy    float64 `json:"best_test_accuracy"`
	BestValAccuracy float64 `json:"best_val_accuracy,omitempty"`
	ValAccuracy     float64 `json:"val_accuracy,omitempty"`
	TimeUp          bool    `json:"time_up,omitempty"` // --time-limit ended training
	KernelPath      string  `json:"kernel_path"`       // the CPU path of the matrix products
}

// configFlags names the command-line flag of each Config field, so that a
// validation error points at what the user typed.
var configFlags = map[string]string{
	fmnist.FieldEpochs:     "epochs",
	fmnist.FieldBatchSize:  "batch-size",
	fmnist.FieldLR:         "lr",
	fmnist.FieldSeed:       "seed",
	fmnist.FieldTrainLimit: "train-limit",
}

// runTrain implements `fmnist train`: prepare the dataset if needed, then
// train headless with a progress bar per epoch. Cancelling ctx (Ctrl-C)
// stops after the current batch and keeps a checkpoint.
func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", stderr)
	preset := presetFromArgs(args)
	cfg, ok := fmnist.Preset(preset)
	if !ok {
		return flagError(stderr, "train", fmt.Errorf("--preset=%s: must be one of %s", preset, strings.Join(fmnist.Presets, ", ")))
	}
	var dataDir, datasetURL string
	var asJSON bool
	dataDirFlag(fs, &dataDir)
	datasetURLFlag(fs, &datasetURL)
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the training set (1..1000)")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "images per training step (1..4096)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate, where the schedule starts (0 < lr <= 10)")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed for the initial weights and the shuffling")
	fs.IntVar(&cfg.TrainLimit, "train-limit", cfg.TrainLimit, "train on the first N images only (0: all)")
	fs.BoolVar(&asJSON, "json", false, "print only one line of JSON summarising the run on stdout (the rest goes to stderr)")
	recipeFlags(fs, &cfg)
	var keep int
	keepCheckpointsFlag(fs, &keep)
	if err := parseFlags(fs, args); err != nil {
		return flagError(stderr, "train", err)
	}
	if err := applyEnv(fs, map[string]string{"keep-checkpoints": "FMNIST_KEEP_CHECKPOINTS"}); err != nil {
		return flagError(stderr, "train", err)
	}
	if fs.NArg() > 0 {
		return flagError(stderr, "train", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if err := checkKeepCheckpoints(keep); err != nil {
		return flagError(stderr, "train", err)
	}
	if err := cfg.Validate(0); err != nil {
		return flagError(stderr, "train", configFlagError(fs, err))
	}

	// With --json, stdout is the summary alone, so that a script can pipe it
	// to jq; the lines for people go to stderr with the progress.
	text := stdout
	if asJSON {
		text = stderr
	}
	layout := fmnist.Layout{Dir: dataDir}
	dir := layout.Dataset()
	if !data.DatasetReady(dir) {
		if err := prepareWithProgress(ctx, dir, datasetURL, text, stderr); err != nil {
			return commandError(ctx, stderr, "train", fmt.Errorf("prepare dataset: %w", err))
		}
	}
	ds, err := data.LoadDataset(dir)
	if err != nil {
		return commandError(ctx, stderr, "train", err)
	}
	// Only now is the training set's size known, which bounds the batch size.
	if err := cfg.Validate(ds.Train.Count); err != nil {
		return flagError(stderr, "train", configFlagError(fs, err))
	}
	used := cfg.TrainImages(ds.Train.Count)
	fmt.Fprintf(text, "Fashion-MNIST: training on %d of %d images, testing on %d\n", used, ds.Train.Count, ds.Test.Count)
	fmt.Fprintf(text, "Training %s: batch size %d, learning rate %g, seed %d\n", epochsText(cfg.Epochs), cfg.BatchSize, cfg.LR, cfg.Seed)
	fmt.Fprintf(text, "Recipe %s\n", recipeText(cfg))

	keeper := &checkpointKeeper{retention: retention(keep), epochs: cfg.Epochs}
	res, err := trainWithProgress(ctx, ds, cfg, layout.Checkpoints(), keeper, text, stderr)
	if err != nil {
		return commandError(ctx, stderr, "train", err)
	}
	if res.Stopped {
		fmt.Fprintf(text, "Stopped after %.1f s with %d of %s completed; checkpoint %s\n", res.Seconds, res.Epochs, epochsText(cfg.Epochs), res.CheckpointPath)
	} else {
		fmt.Fprintf(text, "Finished %s in %.1f s: test accuracy %.2f%%, %.0f img/s; checkpoint %s\n",
			epochsText(res.Epochs), res.Seconds, 100*res.TestAccuracy, res.ImagesPerSec, res.CheckpointPath)
	}
	if res.BestEpoch > 0 {
		best := fmt.Sprintf("Best epoch %d: test accuracy %.2f%%", res.BestEpoch, 100*res.BestAccuracy)
		if cfg.Val > 0 {
			best += fmt.Sprintf(", validation accuracy %.2f%% (chosen on validation)", 100*res.BestValAccuracy)
		}
		if res.TimeUp {
			best += "; the time limit ended training"
		}
		fmt.Fprintln(text, best)
	}
	if asJSON {
		line, err := json.Marshal(trainSummary{
			RunID: res.RunID, Epochs: res.Epochs, TestAccuracy: res.TestAccuracy, TestLoss: res.TestLoss,
			ImagesPerSec: res.ImagesPerSec, Seconds: res.Seconds, Checkpoint: res.CheckpointPath, Stopped: res.Stopped,
			TrainImages: used, TestImages: ds.Test.Count, Config: cfg,
			BestEpoch: res.BestEpoch, BestAccuracy: res.BestAccuracy, BestValAccuracy: res.BestValAccuracy,
			ValAccuracy: res.ValAccuracy, TimeUp: res.TimeUp, KernelPath: nn.KernelPath(),
		})
		if err != nil {
			return commandError(ctx, stderr, "train", fmt.Errorf("encode summary: %w", err))
		}
		fmt.Fprintf(stdout, "%s\n", line)
	}
	if res.Stopped {
		return exitInterrupted
	}
	return 0
}

func epochsText(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}

// configFlagError rewrites a Config validation error in terms of the flags
// and the values given, e.g. "--epochs=0: must be between 1 and 1000", every
// bad one, joined by "; ".
func configFlagError(fs *flag.FlagSet, err error) error {
	probs := fmnist.Problems(err)
	if len(probs) == 0 {
		return err
	}
	parts := make([]string, len(probs))
	for i, p := range probs {
		name, ok := configFlags[p.Field]
		if !ok {
			if name, ok = recipeFlagOf[p.Field]; !ok {
				return err
			}
		}
		parts[i] = fmt.Sprintf("--%s=%s: %s", name, fs.Lookup(name).Value.String(), p.Message)
	}
	return errors.New(strings.Join(parts, "; "))
}

// trainWithProgress runs fmnist.Train in a goroutine and shows its events until
// it returns; keeper deletes the checkpoints the retention setting drops.
func trainWithProgress(ctx context.Context, ds *data.Dataset, cfg fmnist.Config, checkpointDir string, keeper *checkpointKeeper, stdout, stderr io.Writer) (train.Result, error) {
	var events fmnist.Mailbox
	type outcome struct {
		res train.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		opts := train.Options{
			CheckpointDir: checkpointDir,
			StartedAt:     time.Now(),
			// The terminal gets the trainer's events; its slog lines would repeat them.
			Logger: slog.New(slog.DiscardHandler),
		}
		res, err := train.Run(ctx, ds, cfg, opts, &events)
		done <- outcome{res, err}
	}()
	view := &trainView{stdout: stdout, stderr: stderr, tty: isTerminal(stderr), bar: epochBar{w: stderr}}
	handle := func(events []fmnist.Event) {
		view.show(events)
		if err := keeper.see(events); err != nil {
			view.endBar()
			fmt.Fprintf(stderr, "fmnist train: %v\n", err)
		}
	}
	for {
		select {
		case <-events.Ready():
			handle(events.Drain())
		case o := <-done:
			handle(events.Drain())
			view.endBar()
			return o.res, o.err
		}
	}
}

// checkpointKeeper applies the retention setting to the checkpoint files of
// a headless run, which has no store to list them: it follows the events.
type checkpointKeeper struct {
	retention fmnist.Retention
	epochs    int // of the run's configuration
	kept      []fmnist.Checkpoint
	saved     int64    // checkpoints seen, which numbers them
	accuracy  *float64 // of the last evaluated epoch
}

// see records the checkpoints among events and deletes the files of those
// the retention setting drops.
func (k *checkpointKeeper) see(events []fmnist.Event) error {
	var errs []error
	for _, e := range events {
		switch e := e.(type) {
		case fmnist.EpochResult:
			k.accuracy = &e.TestAccuracy
		case fmnist.CheckpointSaved:
			k.saved++
			k.kept = append(k.kept, fmnist.Checkpoint{ID: k.saved, Path: e.Path, Epoch: e.Epoch, Batch: e.Batch, TestAccuracy: k.accuracy})
			drop := k.retention.Prune(k.epochs, k.kept)
			for _, c := range drop {
				if err := os.Remove(c.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, fmt.Errorf("delete an old checkpoint: %w", err))
				}
			}
			k.kept = slices.DeleteFunc(k.kept, func(c fmnist.Checkpoint) bool {
				return slices.ContainsFunc(drop, func(d fmnist.Checkpoint) bool { return d.ID == c.ID })
			})
		}
	}
	return errors.Join(errs...)
}

// trainView renders training events for a terminal: a progress bar per
// epoch on stderr when it is a terminal (the log lines otherwise), and a
// result line per epoch on stdout.
type trainView struct {
	stdout, stderr io.Writer
	tty            bool
	bar            epochBar
}

func (v *trainView) show(events []fmnist.Event) {
	for _, e := range events {
		switch e := e.(type) {
		case fmnist.Progress:
			v.progress(e)
		case fmnist.EpochResult:
			v.endBar()
			fmt.Fprintf(v.stdout, "Epoch %d: test accuracy %.2f%% (loss %.4f), train loss %.4f, %.0f img/s, %.1f s\n",
				e.Epoch, 100*e.TestAccuracy, e.TestLoss, e.TrainLoss, e.ImagesPerSec, e.Seconds)
			if e.ValImages > 0 {
				fmt.Fprintf(v.stdout, "Epoch %d: validation accuracy %.2f%% (loss %.4f) on %d held-out images\n", e.Epoch, 100*e.ValAccuracy, e.ValLoss, e.ValImages)
			}
		case fmnist.LogEntry:
			// With a bar the per-epoch lines say it all; warnings and errors
			// still deserve their own line.
			if !v.tty || e.Level == fmnist.LevelWarn || e.Level == fmnist.LevelError {
				v.endBar()
				fmt.Fprintf(v.stderr, "%s %-5s %s\n", e.Time.Format("15:04:05"), e.Level, e.Message)
			}
		case fmnist.StatusChange:
			if e.Status == fmnist.StatusStopping {
				v.endBar()
				fmt.Fprintln(v.stderr, "Stopping after the current batch; saving a checkpoint…")
			}
		}
	}
}

func (v *trainView) progress(p fmnist.Progress) {
	if !v.tty {
		return
	}
	v.bar.show(p.Epoch, p.Batch, p.Batches, fmt.Sprintf("Epoch %d/%d  loss %.4f  %5.0f img/s", p.Epoch, p.Epochs, p.AvgLoss, p.ImagesPerSec))
}

// endBar ends the current bar's line, if any, so other output starts on a
// fresh line.
func (v *trainView) endBar() { v.bar.end() }
