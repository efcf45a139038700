package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

const (
	// LossPointsPerEpoch is how many points of the loss curve an epoch
	// yields (fewer only when it has fewer batches).
	LossPointsPerEpoch = fmnist.LossPointsPerEpoch
	// LogEntriesPerEpoch is how many progress lines the log gets per epoch.
	LogEntriesPerEpoch = 6
)

// Options are the parts of a run that are not model hyper-parameters.
type Options struct {
	CheckpointDir string       // required; created if missing
	RunID         string       // starts the checkpoint files' names; derived from StartedAt when empty
	StartedAt     time.Time    // defaults to now
	Logger        *slog.Logger // defaults to slog.Default()
	// From continues a run from this checkpoint (see Checkpoint.CanContinue):
	// its weights, optimiser state and position in the data, so that the
	// steps taken are those an uninterrupted run would have taken. The new
	// run's config may differ (a longer run, another learning rate) as far
	// as CanContinue allows. A run continuing its own checkpoint (the same
	// RunID: a resume) keeps the scale a live learning-rate change left on
	// the schedule (Position.LRScale); a fork (another RunID) trains its
	// own recipe, unscaled.
	From *Checkpoint
	// LiveLR, when set, carries learning rates asked for during the run.
	LiveLR *LiveLR
}

// Result summarises a run that ended without failing.
type Result struct {
	RunID          string
	Epochs         int     // epochs completed (trained and evaluated)
	TestAccuracy   float64 // 0..1 after the last completed epoch; 0 if none
	TestLoss       float64
	ImagesPerSec   float64 // training throughput over the whole run, evaluation excluded
	Seconds        float64 // wall time of the whole run
	CheckpointPath string  // last checkpoint written; empty if none
	Stopped        bool    // the context was cancelled and the run stopped early
	TimeUp         bool    // the config's time limit ended training (then it was evaluated)
	// The best evaluated epoch: by validation accuracy when the run held
	// images out (Config.Val), else by test accuracy.
	BestEpoch       int
	BestAccuracy    float64 // test accuracy of the best epoch
	BestValAccuracy float64 // validation accuracy of the best epoch; 0 without validation
	ValAccuracy     float64 // after the last completed epoch; 0 without validation
}

// Run trains a new network on ds with cfg, or continues one (Options.From).
// It runs in the caller's goroutine and reports everything through events,
// whose Push never blocks (events may be nil). A checkpoint is written after
// every epoch.
//
// When ctx is cancelled, training stops before the next batch, writes a
// checkpoint and returns the result with Stopped set and a nil error. Any
// other problem returns an error after a fmnist.StatusFailed event.
//
// Every checkpoint goes to a file of its own (see checkpointPath); keeping
// or deleting older ones is up to the caller.
func Run(ctx context.Context, ds *data.Dataset, cfg fmnist.Config, opts Options, events *fmnist.Mailbox) (Result, error) {
	if events == nil {
		events = &fmnist.Mailbox{}
		events.Close() // a closed mailbox discards what is pushed
	}
	if opts.StartedAt.IsZero() {
		opts.StartedAt = time.Now()
	}
	if opts.RunID == "" {
		opts.RunID = opts.StartedAt.UTC().Format("20060102-150405")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &trainRun{cfg: cfg, opts: opts, ds: ds, events: events, log: opts.Logger.With("run", opts.RunID),
		health: newHealthMonitor(fmnist.DefaultHealth), steps: newStepWatch(fmnist.DefaultHealth)}
	r.result.RunID = opts.RunID
	if from := opts.From; from != nil {
		r.result.Epochs, r.result.TestAccuracy, r.result.CheckpointPath = from.EpochsDone(), from.Meta.TestAccuracy, from.Path
	}
	events.Push(fmnist.StatusChange{Status: fmnist.StatusTraining})
	err := r.run(ctx)
	r.result.Seconds = time.Since(opts.StartedAt).Seconds()
	if err != nil {
		r.logLine(fmnist.LevelError, "Training failed: %v", err)
		r.log.Error("training failed", "err", err)
		events.Push(fmnist.StatusChange{Status: fmnist.StatusFailed, Reason: err.Error()})
		return r.result, err
	}
	return r.result, nil
}

// trainRun is the state of one call to Train.
type trainRun struct {
	cfg     fmnist.Config
	opts    Options
	ds      *data.Dataset
	events  *fmnist.Mailbox
	log     *slog.Logger
	net     *nn.Network
	images  int     // per epoch
	batches int     // per epoch
	lrScale float64 // set by a live learning-rate change (LiveLR); 0: none yet
	result  Result

	trainedImages int // over the whole run
	health        *healthMonitor
	steps         *stepWatch    // dead units and gradient spikes, on sampled batches
	stepHealth    nn.StepHealth // reused by each sampled batch
	trainingTime  time.Duration // over the whole run, evaluation excluded
	val           data.Set      // the held-out end of the training set; empty without Config.Val
	timeUp        bool          // the time limit ended training
}

// epochStats is what one epoch's training yields for its fmnist.EpochResult.
type epochStats struct {
	sums      epochSums
	trainLoss float64
	duration  time.Duration
	images    int // trained in this call, for the rate (a resumed epoch did some before)
}

// epochSums is the state of an epoch's batches done so far: what a
// checkpoint in mid-epoch keeps (see Position) so that a run continued from
// it reports the same epoch loss and loss points.
type epochSums struct {
	batch           int // batches done; fewer than the epoch's when ctx was cancelled
	lossSum         float64
	images          int
	intervalSum     float64
	intervalBatches int
}

func (r *trainRun) logLine(level fmnist.Level, format string, args ...any) {
	r.events.Push(fmnist.LogEntry{Time: time.Now(), Level: level, Message: fmt.Sprintf(format, args...)})
}

// checkpointPath names the checkpoint of (epoch, batch) so that each
// checkpoint of a run has a file of its own: RUN-e03.ckpt at the end of
// epoch 3, RUN-e02-b0123.ckpt for a stop after batch 123 of epoch 2.
func (r *trainRun) checkpointPath(epoch, batch int) string {
	name := fmt.Sprintf("%s-e%02d", r.opts.RunID, epoch)
	if batch > 0 {
		name += fmt.Sprintf("-b%04d", batch)
	}
	return filepath.Join(r.opts.CheckpointDir, name+checkpointExt)
}

func (r *trainRun) run(ctx context.Context) error {
	if r.ds == nil {
		return errors.New("no dataset loaded")
	}
	if err := r.cfg.Validate(r.ds.Train.Count); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	if r.ds.Test.Count == 0 {
		return errors.New("the test set is empty")
	}
	if r.opts.CheckpointDir == "" {
		return errors.New("no checkpoint directory given")
	}
	// Private: a model is the product of the owner's run.
	if err := os.MkdirAll(r.opts.CheckpointDir, 0o700); err != nil {
		return fmt.Errorf("create checkpoint directory: %w", err)
	}
	r.cfg.Recipe = r.cfg.Recipe.Filled()
	net, err := nn.NewNetworkSpec(r.cfg.Seed, NetworkSpec(r.cfg))
	if err != nil {
		return fmt.Errorf("create network: %w", err)
	}
	defer net.Close()
	r.net = net

	n := r.cfg.TrainImages(r.ds.Train.Count)
	batches := r.cfg.BatchesPerEpoch(r.ds.Train.Count)
	r.val = heldOut(&r.ds.Train, r.cfg.Val)
	r.images, r.batches = n, batches
	firstEpoch, start := 1, epochSums{}
	verb := "started"
	if from := r.opts.From; from != nil {
		if err := r.continueFrom(from); err != nil {
			return err
		}
		firstEpoch, start = from.next()
		if from.Meta.RunID == r.opts.RunID && from.Meta.Position != nil {
			r.lrScale = from.Meta.Position.LRScale
		}
		verb = fmt.Sprintf("resumed from %s at the start of epoch %d", filepath.Base(from.Path), firstEpoch)
		if start.batch > 0 {
			verb = fmt.Sprintf("resumed from %s in epoch %d after batch %d", filepath.Base(from.Path), firstEpoch, start.batch)
		}
		if r.lrScale != 0 {
			verb += fmt.Sprintf(" (the schedule scaled by %.4g, as a live change left it)", r.lrScale)
		}
	}
	r.logLine(fmnist.LevelInfo, "Training %s: %s, batch size %d, learning rate %g, seed %d; %d of %d training images, %d test images; %d batches per epoch",
		verb, epochsPhrase(r.cfg.Epochs), r.cfg.BatchSize, r.cfg.LR, r.cfg.Seed, n, r.ds.Train.Count, r.ds.Test.Count, batches)
	r.log.Info("training "+verb, "epochs", r.cfg.Epochs, "batch_size", r.cfg.BatchSize, "lr", r.cfg.LR,
		"seed", r.cfg.Seed, "train_images", n, "test_images", r.ds.Test.Count)

	for epoch := firstEpoch; epoch <= r.cfg.Epochs; epoch++ {
		stats, err := r.trainEpoch(ctx, epoch, start)
		if err != nil {
			return err
		}
		if stats.sums.batch == start.batch && ctx.Err() != nil {
			// Cancelled before this epoch (or its resumed part) began.
			if start.batch == 0 {
				return r.stop(epoch-1, 0, epochSums{})
			}
			return r.stop(epoch, start.batch, start)
		}
		if r.timeUp && stats.sums.batch == start.batch {
			// The limit came before this epoch trained anything; the last
			// evaluation stands.
			r.result.TimeUp = true
			r.logLine(fmnist.LevelInfo, "Time limit of %s reached after epoch %d", time.Duration(r.cfg.TimeLimit)*time.Second, epoch-1)
			break
		}
		start = epochSums{}
		if stats.sums.batch < batches && !r.timeUp {
			return r.stop(epoch, stats.sums.batch, stats.sums)
		}
		stopped, err := r.evaluateEpoch(ctx, epoch, stats)
		if err != nil {
			return err
		}
		if stopped {
			return r.stop(epoch, 0, epochSums{})
		}
		if r.timeUp {
			r.result.TimeUp = true
			r.logLine(fmnist.LevelInfo, "Time limit of %s reached in epoch %d after batch %d of %d; evaluated there",
				time.Duration(r.cfg.TimeLimit)*time.Second, epoch, stats.sums.batch, batches)
			break
		}
	}
	r.result.ImagesPerSec = r.imagesPerSec()
	r.logLine(fmnist.LevelInfo, "Training finished: %s, test accuracy %.2f%%, %.0f img/s, %.1f s in all; checkpoint %s",
		epochsPhrase(r.result.Epochs), 100*r.result.TestAccuracy, r.result.ImagesPerSec, time.Since(r.opts.StartedAt).Seconds(), r.result.CheckpointPath)
	r.log.Info("training finished", "epochs", r.result.Epochs, "test_accuracy", r.result.TestAccuracy,
		"images_per_sec", r.result.ImagesPerSec, "checkpoint", r.result.CheckpointPath)
	r.events.Push(fmnist.StatusChange{Status: fmnist.StatusFinished})
	return nil
}

// continueFrom loads from's weights and optimiser state into the network.
func (r *trainRun) continueFrom(from *Checkpoint) error {
	if err := from.CanContinue(r.cfg, r.ds.Train.Count); err != nil {
		return err
	}
	if err := from.LoadInto(r.net); err != nil {
		return err
	}
	if err := r.net.SetAdamState(*from.Adam); err != nil {
		return fmt.Errorf("checkpoint %s: %w", from.Path, err)
	}
	return nil
}

// trainEpoch runs the batches of one epoch after those start says are done
// (none for a fresh epoch), checking ctx before each.
func (r *trainRun) trainEpoch(ctx context.Context, epoch int, start epochSums) (stats epochStats, err error) {
	set := &r.ds.Train
	pixels := set.Rows * set.Cols
	x := make([]float32, r.cfg.BatchSize*pixels)
	labels := make([]uint8, r.cfg.BatchSize)
	n, batches := r.images, r.batches
	order := data.Shuffle(n, r.cfg.Seed, epoch)
	augment := data.Augment{Crop: r.cfg.Crop, Flip: r.cfg.Flip, Erase: r.cfg.Erase}
	limit := time.Duration(r.cfg.TimeLimit) * time.Second

	began := time.Now()
	s := &stats.sums
	*s = start
	nextLog := 1 // next k of the LogEntriesPerEpoch lines
	for nextLog <= LogEntriesPerEpoch && markBatch(nextLog, batches, LogEntriesPerEpoch) <= start.batch {
		nextLog++
	}
	defer func() {
		stats.duration = time.Since(began)
		r.trainingTime += stats.duration
	}()
	if s.images > 0 {
		stats.trainLoss = s.lossSum / float64(s.images)
	}
	for batch := start.batch + 1; batch <= batches; batch++ {
		if ctx.Err() != nil {
			return stats, nil
		}
		if limit > 0 && r.trainingTime+time.Since(began) >= limit {
			r.timeUp = true
			return stats, nil
		}
		// The last batch takes what is left: every image is used every epoch.
		idx := order[(batch-1)*r.cfg.BatchSize : min(batch*r.cfg.BatchSize, n)]
		m := len(idx)
		set.NormalizeAugmented(x[:m*pixels], idx, augment, data.AugmentRand(r.cfg.Seed, epoch, batch))
		at := (epoch-1)*batches + batch - 1
		if limit > 0 {
			// With a time limit the schedule follows the larger of the
			// batches' and the time's fraction, so it anneals by the deadline.
			elapsed := float64(r.trainingTime+time.Since(began)) / float64(limit)
			at = max(at, int(elapsed*float64(r.cfg.Epochs*batches)))
		}
		lr := r.scheduledLR(at, (epoch-1)*batches+batch-1)
		r.net.SetLR(lr)
		for i, j := range idx {
			labels[i] = set.Labels[j]
		}
		var health *nn.StepHealth // nil: a batch the health checks skip
		if r.steps.sampled((epoch-1)*batches + batch - 1) {
			health = &r.stepHealth
		}
		loss32, err := r.net.TrainStepHealth(x[:m*pixels], labels[:m], health)
		if err != nil {
			return stats, fmt.Errorf("epoch %d batch %d: %w", epoch, batch, err)
		}
		loss := float64(loss32)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return stats, r.lossNotFinite(epoch, batch, loss)
		}
		if health != nil {
			for _, w := range r.steps.step(epoch, batch, batches, health) {
				r.warn(w)
			}
		}
		if w := r.health.batch(epoch, batch, batches, loss); w != nil {
			r.warn(*w)
		}
		s.batch = batch
		s.images += m
		stats.images += m
		r.trainedImages += m
		s.lossSum += loss * float64(m)
		stats.trainLoss = s.lossSum / float64(s.images)
		s.intervalSum += loss
		s.intervalBatches++
		rate := float64(stats.images) / time.Since(began).Seconds()
		percent := 100 * float64(batch) / float64(batches)
		r.events.Push(fmnist.Progress{
			Epoch: epoch, Epochs: r.cfg.Epochs, Batch: batch, Batches: batches,
			Loss: loss, AvgLoss: stats.trainLoss, Percent: percent, ImagesPerSec: rate,
		})
		// The run's very first batch gets a point of its own, so the curve
		// starts at the untrained loss (about ln 10 ≈ 2.3).
		if isEvenMark(batch, batches, LossPointsPerEpoch) || (epoch == 1 && batch == 1) {
			// A point carries the mean loss since the previous one: a single
			// batch's loss is too noisy to read a trend from.
			r.events.Push(fmnist.LossPoint{Epoch: float64(epoch-1) + float64(batch)/float64(batches), Loss: s.intervalSum / float64(s.intervalBatches), LR: lr})
			s.intervalSum, s.intervalBatches = 0, 0
		}
		// Line k goes after batch ⌈k·B/6⌉; with fewer than six batches one
		// batch carries several lines, so an epoch always has exactly six.
		for ; nextLog <= LogEntriesPerEpoch && markBatch(nextLog, batches, LogEntriesPerEpoch) == batch; nextLog++ {
			r.logLine(fmnist.LevelInfo, "Epoch %d/%d, batch %d/%d (%.0f%%): loss %.4f, avg loss %.4f, %.0f img/s",
				epoch, r.cfg.Epochs, batch, batches, percent, loss, stats.trainLoss, rate)
		}
	}
	return stats, nil
}

// evaluateEpoch measures the network on the test set after an epoch,
// reports it and writes a checkpoint. It reports stopped when ctx was
// cancelled during the evaluation.
func (r *trainRun) evaluateEpoch(ctx context.Context, epoch int, stats epochStats) (stopped bool, err error) {
	evalStart := time.Now()
	r.events.Push(fmnist.Evaluating{Epoch: epoch, Images: r.ds.Test.Count, Time: evalStart})
	acc, err := evaluate(ctx, r.net, &r.ds.Test, r.cfg.TTA)
	if ctx.Err() != nil {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("epoch %d: evaluate on the test set: %w", epoch, err)
	}
	result := fmnist.EpochResult{
		Epoch: epoch, TestAccuracy: acc.Overall, TestLoss: acc.Loss, TrainLoss: stats.trainLoss,
		ImagesPerSec: float64(stats.images) / stats.duration.Seconds(), Seconds: stats.duration.Seconds(),
	}
	valText := ""
	if r.val.Count > 0 {
		val, err := evaluate(ctx, r.net, &r.val, r.cfg.TTA)
		if ctx.Err() != nil {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("epoch %d: evaluate on the validation images: %w", epoch, err)
		}
		result.ValImages, result.ValAccuracy, result.ValLoss = val.Count, val.Overall, val.Loss
		r.result.ValAccuracy = val.Overall
		valText = fmt.Sprintf(", validation accuracy %.2f%% (loss %.4f)", 100*val.Overall, val.Loss)
	}
	batch := 0 // a whole epoch
	if stats.sums.batch < r.batches {
		batch, result.Batches = stats.sums.batch, stats.sums.batch
	}
	r.result.Epochs = epoch
	r.result.TestAccuracy = acc.Overall
	r.result.TestLoss = acc.Loss
	r.noteBest(result)
	r.events.Push(result)
	r.events.Push(fmnist.EpochAnalysis{Epoch: epoch, Confusion: acc.Confusion, Correct: acc.Correct, Images: acc.Count})
	for _, w := range r.health.epochEnd(epoch, stats.trainLoss, acc.Loss) {
		r.warn(w)
	}
	r.logLine(fmnist.LevelInfo, "Epoch %d/%d evaluated: test accuracy %.2f%%, test loss %.4f%s; trained in %.1f s at %.0f img/s, evaluated in %.1f s",
		epoch, r.cfg.Epochs, 100*acc.Overall, acc.Loss, valText, stats.duration.Seconds(), result.ImagesPerSec, time.Since(evalStart).Seconds())
	return false, r.saveCheckpoint(epoch, batch, stats.sums)
}

// noteBest keeps e as the run's best epoch if it is: by validation
// accuracy when there is a validation split, else by test accuracy.
func (r *trainRun) noteBest(e fmnist.EpochResult) {
	score, best := e.TestAccuracy, r.result.BestAccuracy
	if e.ValImages > 0 {
		score, best = e.ValAccuracy, r.result.BestValAccuracy
	}
	if r.result.BestEpoch == 0 || score > best {
		r.result.BestEpoch, r.result.BestAccuracy, r.result.BestValAccuracy = e.Epoch, e.TestAccuracy, e.ValAccuracy
	}
}

// heldOut is the last n images of set, as a set of their own (aliasing it).
func heldOut(set *data.Set, n int) data.Set {
	if n <= 0 || n > set.Count {
		return data.Set{Rows: set.Rows, Cols: set.Cols}
	}
	size := set.Rows * set.Cols
	first := set.Count - n
	return data.Set{Images: set.Images[first*size:], Labels: set.Labels[first:], Count: n, Rows: set.Rows, Cols: set.Cols}
}

// stop ends a cancelled run: it keeps what was learnt in a checkpoint.
// (epoch, batch) is how far training got; batch 0 means epoch was complete,
// and sums are the state of the epoch's batches done.
func (r *trainRun) stop(epoch, batch int, sums epochSums) error {
	r.events.Push(fmnist.StatusChange{Status: fmnist.StatusStopping})
	r.result.Stopped = true
	r.result.ImagesPerSec = r.imagesPerSec()
	if r.trainedImages == 0 {
		// Nothing was trained: a checkpoint of the initial weights would
		// only hide an earlier, trained model, and a resumed run's
		// checkpoint already holds what it would.
		r.logLine(fmnist.LevelWarn, "Training stopped before the first batch; no checkpoint written")
		r.log.Warn("training stopped before the first batch")
		r.events.Push(fmnist.StatusChange{Status: fmnist.StatusStopped})
		return nil
	}
	// A stop right after an epoch's end already has that epoch's
	// checkpoint; saving it again would report one file twice.
	if r.result.CheckpointPath != r.checkpointPath(epoch, batch) {
		if err := r.saveCheckpoint(epoch, batch, sums); err != nil {
			return err
		}
	}
	where := fmt.Sprintf("after %d of %d epochs", epoch, r.cfg.Epochs)
	if batch > 0 {
		where = fmt.Sprintf("in epoch %d/%d after batch %d of %d", epoch, r.cfg.Epochs, batch, r.batches)
	}
	var scores string
	if r.result.Epochs > 0 {
		scores += fmt.Sprintf(", last test accuracy %.2f%%", 100*r.result.TestAccuracy)
	}
	if r.result.ImagesPerSec > 0 {
		scores += fmt.Sprintf(", %.0f img/s", r.result.ImagesPerSec)
	}
	r.logLine(fmnist.LevelWarn, "Training stopped %s%s; checkpoint %s", where, scores, r.result.CheckpointPath)
	r.log.Warn("training stopped", "epoch", epoch, "batch", batch, "checkpoint", r.result.CheckpointPath)
	r.events.Push(fmnist.StatusChange{Status: fmnist.StatusStopped})
	return nil
}

func (r *trainRun) saveCheckpoint(epoch, batch int, sums epochSums) error {
	path := r.checkpointPath(epoch, batch)
	cfg := r.cfg
	meta := CheckpointMeta{RunID: r.opts.RunID, Epoch: epoch, Batch: batch, TestAccuracy: r.result.TestAccuracy, SavedAt: time.Now().UTC(),
		Config: &cfg, Position: &Position{TrainImages: r.images, EpochLossSum: sums.lossSum, EpochImages: sums.images,
			IntervalLossSum: sums.intervalSum, IntervalBatches: sums.intervalBatches, LRScale: r.lrScale}}
	if err := SaveCheckpoint(path, r.net, meta); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	r.result.CheckpointPath = path
	r.log.Info("checkpoint saved", "path", path, "epoch", epoch, "batch", batch)
	r.events.Push(fmnist.CheckpointSaved{Path: path, Epoch: epoch, Batch: batch})
	return nil
}

func (r *trainRun) imagesPerSec() float64 {
	if r.trainingTime <= 0 {
		return 0
	}
	return float64(r.trainedImages) / r.trainingTime.Seconds()
}

// markBatch is the batch (1-based) at which the k-th of count evenly spaced
// marks falls in an epoch of batches: ⌈k·batches/count⌉.
func markBatch(k, batches, count int) int {
	return (k*batches + count - 1) / count
}

// LossPointCount is how many loss points a run of epochs × batches yields
// from its start: min(batches, LossPointsPerEpoch) per epoch, and one more
// after the very first batch when that batch is not already a mark.
func LossPointCount(epochs, batches int) int {
	n := epochs * min(batches, LossPointsPerEpoch)
	if epochs > 0 && batches > LossPointsPerEpoch {
		n++
	}
	return n
}

// isEvenMark reports whether batch is one of min(count, batches) evenly
// spaced marks of an epoch; the last batch always is.
func isEvenMark(batch, batches, count int) bool {
	count = min(count, batches)
	return batch*count/batches > (batch-1)*count/batches
}

// epochsPhrase says "1 epoch" or "3 epochs".
func epochsPhrase(n int) string {
	if n == 1 {
		return "1 epoch"
	}
	return fmt.Sprintf("%d epochs", n)
}
