// Package analyticsview holds the model-analytics pages and panels that
// came after the confusion matrix: the misclassified examples of a matrix
// cell and the per-example dynamics (learned, forgotten, never right). It
// is apart from views, which is at its size limit; views renders the
// panels it is given as components.
package analyticsview

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// ExamplesPageSize is how many images a page of examples shows.
const ExamplesPageSize = 48

// ExamplesView is a page of the test images a checkpoint answered a
// certain way: the filters and the images with their probabilities.
type ExamplesView struct {
	Run    int64
	Epochs []int // the epochs to pick from
	Query  fmnist.ExampleQuery
	Page   fmnist.ExamplePage
	// Problem says why there are no images to show (no checkpoint kept, no
	// dataset); empty when the page has them.
	Problem string
}

// ClassProbability is one class and the probability the model gave it.
type ClassProbability struct {
	Class       int
	Probability float64
}

// Top3 are the three most probable classes of p, most probable first.
func Top3(p fmnist.Prediction) []ClassProbability {
	all := make([]ClassProbability, fmnist.NumClasses)
	for c, v := range p.Probabilities {
		all[c] = ClassProbability{Class: c, Probability: v}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Probability > all[b].Probability })
	return all[:3]
}

// ExamplesURL is the examples page of run with the filters of q (epoch 0,
// class -1: left out, meaning the newest epoch and any class).
func ExamplesURL(run int64, q fmnist.ExampleQuery) string {
	v := url.Values{}
	if q.Epoch > 0 {
		v.Set("epoch", strconv.Itoa(q.Epoch))
	}
	if q.True >= 0 {
		v.Set("true", strconv.Itoa(q.True))
	}
	if q.Pred >= 0 {
		v.Set("pred", strconv.Itoa(q.Pred))
	}
	if !q.ByConfidence {
		v.Set("order", "index")
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	return fmt.Sprintf("/runs/%d/examples?%s", run, v.Encode())
}

// TestImageURL is test image i as a PNG (handlers.testImage).
func TestImageURL(i int) string { return "/predictions/image/" + strconv.Itoa(i) + ".png" }

// heading says which images the page lists.
func (v ExamplesView) heading() string {
	switch q := v.Query; {
	case q.True >= 0 && q.Pred >= 0 && q.True == q.Pred:
		return fmnist.ClassNames[q.True] + " classified right"
	case q.True >= 0 && q.Pred >= 0:
		return fmnist.ClassNames[q.True] + " taken for " + fmnist.ClassNames[q.Pred]
	case q.True >= 0:
		return "Every " + fmnist.ClassNames[q.True]
	case q.Pred >= 0:
		return "Everything taken for " + fmnist.ClassNames[q.Pred]
	}
	return "Every test image"
}

// rangeText says which of the matching images the page shows.
func (v ExamplesView) rangeText() string {
	if len(v.Page.Items) == 0 {
		return "no images match"
	}
	return fmt.Sprintf("%d–%d of %d images", v.Query.Offset+1, v.Query.Offset+len(v.Page.Items), v.Page.Total)
}

// pageURL is the page offset images further (negative: back), "" when
// there is none.
func (v ExamplesView) pageURL(step int) string {
	q := v.Query
	q.Offset += step
	if q.Offset < 0 || q.Offset >= v.Page.Total || len(v.Page.Items) == 0 {
		return ""
	}
	q.Epoch = v.Page.Epoch
	return ExamplesURL(v.Run, q)
}

// percent writes a probability as a whole percentage.
func percent(p float64) string { return strconv.FormatFloat(100*p, 'f', 1, 64) + "%" }

// barStyle is a probability bar's width.
func barStyle(p float64) string { return fmt.Sprintf("width: %.1f%%", 100*min(1, max(0, p))) }

// classOptions are the class filter's choices: any, then the ten classes.
func classOptions() []ClassOption {
	out := []ClassOption{{Value: "", Name: "any"}}
	for c, name := range fmnist.ClassNames {
		out = append(out, ClassOption{Value: strconv.Itoa(c), Name: name, Class: c})
	}
	return out
}

// ClassOption is one choice of a class filter.
type ClassOption struct {
	Value, Name string
	Class       int
}

func (o ClassOption) selected(class int) bool {
	return (o.Value == "" && class < 0) || (o.Value != "" && o.Class == class)
}
