package insight

import (
	"context"
	"fmt"
	"image"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/inspect"
)

// The pictures of the inside of a model, by name.
const (
	PictureFilters  = "filters"  // the first convolution's filters
	PictureConv1    = "conv1"    // the first convolution's activation maps
	PictureConv2    = "conv2"    // the second convolution's activation maps
	PictureSaliency = "saliency" // the saliency of the top class over the image
)

// Pictures are the picture names, in the order a page shows them.
var Pictures = []string{PictureFilters, PictureConv1, PictureConv2, PictureSaliency}

// Sizes of the pictures: pixels per value, and cells per row.
const (
	filterScale, filterCols = 8, 8
	conv1Scale, mapCols     = 3, 8
	conv2Scale              = 4
	saliencyScale           = 8
)

// Inside is what a model makes of one test image.
type Inside struct {
	Checkpoint          fmnist.Checkpoint
	Checkpoints         []fmnist.Checkpoint // the run's, to choose from
	Image, Label        int
	Probabilities       [fmnist.NumClasses]float64
	Predicted           int
	Conv1, Conv2, Dense int // the network's widths
}

// Look runs test image index through checkpoint checkpointID of run runID
// (0: its newest).
func (s *Service) Look(ctx context.Context, runID, checkpointID int64, index int) (*Inside, error) {
	if runID < 1 {
		return nil, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %d.", runID)
	}
	m, tr, label, err := s.trace(ctx, runID, checkpointID, index)
	if err != nil {
		return nil, err
	}
	cks, err := s.src.Checkpoints(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("find the checkpoints of run %d: %w", runID, err)
	}
	in := &Inside{Checkpoint: m.ckpt, Checkpoints: cks, Image: index, Label: label, Predicted: tr.Top(),
		Conv1: m.net.Conv1, Conv2: m.net.Conv2, Dense: m.net.Dense}
	copy(in.Probabilities[:], tr.Probs[:])
	return in, nil
}

// Picture draws picture name (see Pictures) of test image index through a
// checkpoint, as a PNG. The filters do not depend on the image.
func (s *Service) Picture(ctx context.Context, runID, checkpointID int64, index int, name string) ([]byte, error) {
	if runID < 1 {
		return nil, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %d.", runID)
	}
	if name == PictureFilters {
		m, err := s.model(ctx, runID, checkpointID)
		if err != nil {
			return nil, err
		}
		return encodePNG(m.net.FilterGrid(filterScale, filterCols))
	}
	m, tr, _, err := s.trace(ctx, runID, checkpointID, index)
	if err != nil {
		return nil, err
	}
	var img image.Image
	switch name {
	case PictureConv1:
		img = inspect.ActivationGrid(tr.Conv1, conv1Scale, mapCols)
	case PictureConv2:
		img = inspect.ActivationGrid(tr.Conv2, conv2Scale, mapCols)
	case PictureSaliency:
		sal, err := m.net.Saliency(tr, tr.Top())
		if err != nil {
			return nil, err
		}
		pixels, _, _, _, err := s.src.TestImage(index)
		if err != nil {
			return nil, err
		}
		img = inspect.SaliencyOverlay(pixels, sal, saliencyScale)
	default:
		return nil, fmnist.Errorf(fmnist.ENOTFOUND, "There is no picture %q: there are filters, conv1, conv2 and saliency.", name)
	}
	return encodePNG(img)
}

// trace runs test image index through the checkpoint's network.
func (s *Service) trace(ctx context.Context, runID, checkpointID int64, index int) (*model, *inspect.Trace, int, error) {
	pixels, rows, cols, label, err := s.src.TestImage(index)
	if err != nil {
		return nil, nil, 0, err
	}
	if rows != inspect.Side || cols != inspect.Side {
		return nil, nil, 0, fmt.Errorf("test image %d is %d×%d, the network takes %d×%d", index, cols, rows, inspect.Side, inspect.Side)
	}
	m, err := s.model(ctx, runID, checkpointID)
	if err != nil {
		return nil, nil, 0, err
	}
	// A page asks for its pictures of one image at once: the first traces
	// it while the others wait, then take the same trace.
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	if t := s.traced; t != nil && t.model == m && t.index == index {
		return m, t.trace, label, nil
	}
	tr, err := m.net.Forward(standardise(pixels))
	if err != nil {
		return nil, nil, 0, err
	}
	s.traced = &traced{model: m, index: index, trace: tr}
	return m, tr, label, nil
}

// traced is the last image traced, and through which model.
type traced struct {
	model *model
	index int
	trace *inspect.Trace
}
