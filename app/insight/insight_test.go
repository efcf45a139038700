package insight

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"path/filepath"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/inspect"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
	"github.com/fmnist/trainer/ml/userimage/userimagetest"
)

// oneCheckpoint is a Source with one run and one checkpoint file, and test
// images whose pixels are their index plus their position.
type oneCheckpoint struct{ ckpt fmnist.Checkpoint }

func (o oneCheckpoint) FindCheckpoint(_ context.Context, runID, checkpointID int64) (fmnist.Checkpoint, error) {
	if runID > 1 || checkpointID > 1 {
		return fmnist.Checkpoint{}, fmnist.Errorf(fmnist.ENOTFOUND, "no such checkpoint")
	}
	return o.ckpt, nil
}

func (o oneCheckpoint) Checkpoints(context.Context, int64) ([]fmnist.Checkpoint, error) {
	return []fmnist.Checkpoint{o.ckpt}, nil
}

func (o oneCheckpoint) TestImage(i int) ([]uint8, int, int, int, error) {
	if i < 0 || i >= 10 {
		return nil, 0, 0, 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no test image %d.", i)
	}
	pixels := make([]uint8, inspect.Pixels)
	for p := range pixels {
		pixels[p] = uint8(i*20 + p%28*5)
	}
	return pixels, inspect.Side, inspect.Side, i, nil
}

// newService saves a fresh baseline network's checkpoint, its run
// evaluated with flip test-time augmentation when tta.
func newService(t *testing.T, tta bool) (*Service, *nn.Network) {
	t.Helper()
	net, err := nn.NewNetwork(5, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Close)
	path := filepath.Join(t.TempDir(), "run-1-e01.ckpt")
	if err := train.SaveCheckpoint(path, net, train.CheckpointMeta{RunID: "run-1", Epoch: 1, Config: &fmnist.Config{Recipe: fmnist.Recipe{TTA: tta}}}); err != nil {
		t.Fatal(err)
	}
	return New(oneCheckpoint{fmnist.Checkpoint{ID: 1, RunID: 1, Path: path, Epoch: 1}}), net
}

// uploadPNG is a dark block off-centre (so its mirror differs) on white.
func uploadPNG(t *testing.T) []byte {
	return userimagetest.PNG(t, userimagetest.Photo(50, 40, 230, 10, func(x, y int) bool { return x >= 5 && x < 20 && y >= 5 && y < 35 }))
}

// TestClassifyAveragesTheMirrorWithTTA: a run that evaluates with flip
// test-time augmentation classifies uploads the same way.
func TestClassifyAveragesTheMirrorWithTTA(t *testing.T) {
	ctx := context.Background()
	plain, _ := newService(t, false)
	flipped, _ := newService(t, true)
	a, err := plain.Classify(ctx, 0, uploadPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := flipped.Classify(ctx, 1, uploadPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	if a.TTA || !b.TTA {
		t.Fatalf("TTA %v and %v, want false and true", a.TTA, b.TTA)
	}
	m, err := flipped.model(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.net.Forward(standardise(mirror(b.Input.Pixels)))
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for c := range b.Probabilities {
		if want := (a.Probabilities[c] + tr.Probs[c]) / 2; math.Abs(b.Probabilities[c]-want) > 1e-12 {
			t.Errorf("class %d: %v, want the mean of %v and its mirror's %v", c, b.Probabilities[c], a.Probabilities[c], tr.Probs[c])
		}
		sum += b.Probabilities[c]
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("probabilities sum to %v", sum)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b.InputPNG)); err != nil || cfg.Width != inspect.Side*inputScale {
		t.Errorf("the input picture: %+v %v", cfg, err)
	}
}

func TestClassifyRefusesABadFileBeforeLookingForAModel(t *testing.T) {
	svc := New(oneCheckpoint{}) // its checkpoint file does not exist
	_, err := svc.Classify(context.Background(), 0, []byte("not a picture"))
	if fmnist.ErrorCode(err) != fmnist.EINVALID {
		t.Errorf("error %v, want the file refused", err)
	}
}

func TestLookAndPictures(t *testing.T) {
	ctx := context.Background()
	svc, live := newService(t, false)
	in, err := svc.Look(ctx, 1, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	pixels, _, _, _, _ := oneCheckpoint{}.TestImage(3)
	x32 := make([]float32, len(pixels))
	for i, v := range standardise(pixels) {
		x32[i] = float32(v)
	}
	probs := make([]float32, 10)
	if err := live.Predict(x32, 1, probs); err != nil {
		t.Fatal(err)
	}
	for c := range probs {
		if math.Abs(in.Probabilities[c]-float64(probs[c])) > 1e-5 {
			t.Errorf("class %d: %v inside, %v from the network", c, in.Probabilities[c], probs[c])
		}
	}
	if in.Label != 3 || in.Conv1 != 32 || in.Conv2 != 64 || len(in.Checkpoints) != 1 {
		t.Errorf("inside %+v", in)
	}
	for _, name := range Pictures {
		data, err := svc.Picture(ctx, 1, 1, 3, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for what, err := range map[string]error{
		"unknown picture": func() error { _, err := svc.Picture(ctx, 1, 1, 3, "weights"); return err }(),
		"unknown image":   func() error { _, err := svc.Look(ctx, 1, 0, 10); return err }(),
		"unknown run":     func() error { _, err := svc.Look(ctx, 0, 0, 1); return err }(),
	} {
		if fmnist.ErrorCode(err) != fmnist.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", what, err)
		}
	}
}
