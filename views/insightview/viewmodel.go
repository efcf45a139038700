// Package insightview draws the pages that look inside a model: a run's
// filters, activation maps and saliency for a test image, and the
// classification of an uploaded picture. Every picture is a server-rendered
// PNG and every control a plain form, so the pages work without
// JavaScript. It is its own package because views/ is at its size limit.
package insightview

import (
	"fmt"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// ClassProb is one class's probability, for a bar.
type ClassProb struct {
	Name    string
	Percent float64
	Top     bool // the predicted class
}

// ProbsOf lists the probabilities with the top one marked.
func ProbsOf(p [fmnist.NumClasses]float64, predicted int) []ClassProb {
	out := make([]ClassProb, len(p))
	for c, v := range p {
		out[c] = ClassProb{Name: fmnist.ClassNames[c], Percent: 100 * v, Top: c == predicted}
	}
	return out
}

// CheckpointOption is one checkpoint in the picker.
type CheckpointOption struct {
	ID       int64
	Label    string
	Selected bool
}

// CheckpointLabel names a checkpoint for people: its epoch (and batch when
// taken mid-epoch).
func CheckpointLabel(c fmnist.Checkpoint) string {
	if c.Batch > 0 {
		return fmt.Sprintf("epoch %d, batch %d", c.Epoch, c.Batch)
	}
	return "end of epoch " + strconv.Itoa(c.Epoch)
}

// InsideView is the page of one run's model and one test image.
type InsideView struct {
	RunID        int64
	CheckpointID int64
	Checkpoint   string // its label
	Checkpoints  []CheckpointOption
	Image        int
	Label        string // the image's true class
	Predicted    string
	Right        bool
	Probs        []ClassProb
	Conv1, Conv2 int // channels, for the captions
	CSRF         string
}

// PictureURL is where picture name of this page's image and checkpoint is.
func (v InsideView) PictureURL(name string) string {
	return fmt.Sprintf("/runs/%d/inside/%s.png?checkpoint=%d&image=%d", v.RunID, name, v.CheckpointID, v.Image)
}

// TestImageURL is the test image itself, enlarged.
func (v InsideView) TestImageURL() string {
	return fmt.Sprintf("/predictions/image/%d.png", v.Image)
}

// ClassifyView is the upload page, with what the model made of the last
// upload or why it was refused.
type ClassifyView struct {
	CSRF   string
	RunID  int64  // the run whose model classifies; 0 for the newest model
	Error  string // why the upload was refused
	Result *ClassifyResult
}

// ClassifyResult is one classified upload.
type ClassifyResult struct {
	InputURL      string // the 28×28 input as a data: URL
	Predicted     string
	Probs         []ClassProb
	Model         string // which run and checkpoint answered
	Format        string // "PNG" or "JPEG"
	Width, Height int
	Inverted      bool
	TTA           bool
}

// caption says what the picture became.
func (r ClassifyResult) caption() string {
	inverted := ""
	if r.Inverted {
		inverted = ", inverted"
	}
	return fmt.Sprintf("What the model saw: your %s (%d×%d)%s, at 28×28.", r.Format, r.Width, r.Height, inverted)
}

// runField is the hidden run field's value.
func (v ClassifyView) runField() string {
	if v.RunID == 0 {
		return ""
	}
	return strconv.FormatInt(v.RunID, 10)
}

func percent(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" }

func barStyle(p float64) string { return fmt.Sprintf("width: %.1f%%", p) }
