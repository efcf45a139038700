package insight

import (
	"context"
	"fmt"
	"image"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/inspect"
	"github.com/fmnist/trainer/ml/userimage"
)

// inputScale enlarges the 28×28 input on the page by whole pixels.
const inputScale = 6

// Classification is what a model makes of an uploaded picture.
type Classification struct {
	Checkpoint    fmnist.Checkpoint
	Input         *userimage.Input
	InputPNG      []byte // the 28×28 input the model saw, enlarged
	Probabilities [fmnist.NumClasses]float64
	Predicted     int
	TTA           bool // averaged with the mirror image, as the run evaluates
}

// Classify converts an uploaded PNG or JPEG (see userimage.Decode) and
// classifies it with the newest checkpoint of run runID, or of all runs
// when runID is 0. A file that is not a picture it takes is an EINVALID
// error that says why; nothing of it is kept.
func (s *Service) Classify(ctx context.Context, runID int64, file []byte) (*Classification, error) {
	select {
	case s.decoding <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to decode the picture: %w", ctx.Err())
	}
	in, err := userimage.Decode(file)
	<-s.decoding
	if err != nil {
		return nil, err
	}
	m, err := s.model(ctx, runID, 0)
	if err != nil {
		return nil, err
	}
	tr, err := m.net.Forward(standardise(in.Pixels[:]))
	if err != nil {
		return nil, err
	}
	probs := tr.Probs
	if m.tta {
		mirrored, err := m.net.Forward(standardise(mirror(in.Pixels)))
		if err != nil {
			return nil, err
		}
		for c := range probs {
			probs[c] = (probs[c] + mirrored.Probs[c]) / 2
		}
	}
	c := &Classification{Checkpoint: m.ckpt, Input: in, TTA: m.tta}
	copy(c.Probabilities[:], probs[:])
	for k, p := range c.Probabilities {
		if p > c.Probabilities[c.Predicted] {
			c.Predicted = k
		}
	}
	if c.InputPNG, err = encodePNG(enlarge(in.Pixels, inputScale)); err != nil {
		return nil, err
	}
	return c, nil
}

// mirror flips a 28×28 image left to right.
func mirror(pixels [inspect.Pixels]uint8) []uint8 {
	out := make([]uint8, len(pixels))
	for y := range inspect.Side {
		for x := range inspect.Side {
			out[y*inspect.Side+x] = pixels[y*inspect.Side+inspect.Side-1-x]
		}
	}
	return out
}

// enlarge draws a 28×28 grey image at scale pixels per pixel.
func enlarge(pixels [inspect.Pixels]uint8, scale int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, inspect.Side*scale, inspect.Side*scale))
	for y := range inspect.Side * scale {
		for x := range inspect.Side * scale {
			img.Pix[y*img.Stride+x] = pixels[(y/scale)*inspect.Side+x/scale]
		}
	}
	return img
}
