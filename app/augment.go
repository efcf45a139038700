package app

import (
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
)

// AugmentSamples returns the first n training images (each rows×cols, one
// after the other) changed by r's augmentation with the draws the first
// batch of a run of seed makes: the form's preview of its settings.
func (s *Service) AugmentSamples(r fmnist.Recipe, seed int64, n int) (pixels []uint8, rows, cols int, err error) {
	s.mu.Lock()
	ds := s.dataset
	s.mu.Unlock()
	if ds == nil {
		return nil, 0, 0, fmnist.Errorf(fmnist.ENOTFOUND, "There are no training images to show until the dataset is prepared.")
	}
	set := &ds.Train
	n = min(n, set.Count)
	size := set.Rows * set.Cols
	pixels = make([]uint8, n*size)
	a := data.Augment{Crop: r.Crop, Flip: r.Flip, Erase: r.Erase}
	rng := data.AugmentRand(seed, 1, 1)
	for i := range n {
		set.AugmentImage(pixels[i*size:(i+1)*size], i, a, rng)
	}
	return pixels, set.Rows, set.Cols, nil
}
