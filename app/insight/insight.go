// Package insight is the app's view inside a trained model: the first
// layer's filters, one test image's activation maps and saliency, and the
// classification of a picture someone uploads. It reads checkpoints and
// test images through the app service and does the work with ml/inspect
// and ml/userimage; it is its own package because app/ is at its size
// limit. Nothing it is given is stored.
package insight

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/inspect"
	"github.com/fmnist/trainer/ml/train"
)

// Source is what insight needs of the app; *app.Service is one.
type Source interface {
	// FindCheckpoint is checkpoint checkpointID of run runID (0: the
	// run's newest; both 0: the newest of all). A run without checkpoints
	// is ECONFLICT, an unknown run or checkpoint ENOTFOUND, no model at all
	// fmnist.ErrNoModel.
	FindCheckpoint(ctx context.Context, runID, checkpointID int64) (fmnist.Checkpoint, error)
	Checkpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error)
	TestImage(i int) (pixels []uint8, rows, cols, label int, err error)
}

// Service answers from checkpoints. It keeps the network of the last
// checkpoint it read, as a page asks for several pictures of one model.
type Service struct {
	src Source

	mu     sync.Mutex // held while a checkpoint loads, so a page's pictures load it once
	loaded *model

	traceMu sync.Mutex
	traced  *traced // the last test image traced

	decoding chan struct{} // one upload decoded at a time bounds the memory decoding takes
}

// model is a checkpoint's network, ready to inspect.
type model struct {
	ckpt fmnist.Checkpoint
	net  *inspect.Network
	tta  bool // the run evaluated with flip test-time augmentation
}

// New returns a Service reading from src.
func New(src Source) *Service {
	return &Service{src: src, decoding: make(chan struct{}, 1)}
}

// model returns the network of checkpoint checkpointID of run runID (see
// Source.FindCheckpoint).
func (s *Service) model(ctx context.Context, runID, checkpointID int64) (*model, error) {
	ckpt, err := s.src.FindCheckpoint(ctx, runID, checkpointID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Ids may come again after a run is deleted: the file and its time tell.
	if l := s.loaded; l != nil && l.ckpt.ID == ckpt.ID && l.ckpt.Path == ckpt.Path && l.ckpt.CreatedAt.Equal(ckpt.CreatedAt) {
		return s.loaded, nil
	}
	ck, err := train.ReadCheckpoint(ckpt.Path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %d of run %d: %w", ckpt.ID, ckpt.RunID, err)
	}
	net, err := inspect.New(ck.Params)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d of run %d: %w", ckpt.ID, ckpt.RunID, err)
	}
	s.loaded = &model{ckpt: ckpt, net: net, tta: ck.Meta.Config != nil && ck.Meta.Config.TTA}
	return s.loaded, nil
}

// standardise is a 28×28 image's pixels as the network's input.
func standardise(pixels []uint8) []float64 {
	x := make([]float64, len(pixels))
	for i, v := range pixels {
		x[i] = float64(data.NormalizePixel(v))
	}
	return x
}

// encodePNG encodes a picture the service drew.
func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}
