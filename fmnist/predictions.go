package fmnist

import "time"

// NumClasses is how many kinds of clothing Fashion-MNIST tells apart.
const NumClasses = 10

// ClassNames are the human names of the labels 0..9.
var ClassNames = [NumClasses]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// Prediction is a model's answer for one image of a set.
type Prediction struct {
	Index         int // position of the image in its set
	Predicted     int // class with the highest probability
	Label         int // true class
	Probabilities [NumClasses]float64
}

// Correct reports whether the prediction matches the label.
func (p Prediction) Correct() bool { return p.Predicted == p.Label }

// Accuracy is the result of evaluating a model on a whole set.
type Accuracy struct {
	Overall  float64             // fraction of images classified correctly, 0..1
	Loss     float64             // mean cross-entropy
	PerClass [NumClasses]float64 // fraction correct among the images of each class
	Count    int                 // images evaluated
	// Confusion counts the answers by true and predicted class, and Correct
	// has a bit per image, set where it was right (see EpochAnalysis).
	Confusion Confusion
	Correct   Bitset
}

// Predictions are a model's answers on some test images, with its accuracy
// on the whole test set.
type Predictions struct {
	Checkpoint   string // the model file used
	CheckpointID int64
	RunID        int64
	// CheckpointEpoch and CheckpointBatch are where in its run the
	// checkpoint was saved (see Checkpoint), so that its accuracy can say
	// what it is the accuracy of.
	CheckpointEpoch, CheckpointBatch int
	Accuracy                         Accuracy
	Items                            []Prediction
	MadeAt                           time.Time
}

// PredictionRequest says which model predicts which test images. The zero
// value asks the newest checkpoint about random images.
type PredictionRequest struct {
	RunID        int64 // 0: the newest checkpoint of any run
	CheckpointID int64 // 0: the run's newest checkpoint; needs RunID
	Indices      []int // test images; nil: Count random ones
	Count        int
}
