package analytics

import (
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// Confusion is the JSON of an epoch's confusion matrix: rows are the true
// class, columns the predicted class, in the order of Classes.
type Confusion struct {
	Run          int64            `json:"run"`
	Epoch        int              `json:"epoch"`
	Classes      []string         `json:"classes"`
	Matrix       fmnist.Confusion `json:"matrix"`
	Total        int              `json:"total"`
	Accuracy     float64          `json:"accuracy"`
	PerClass     []ClassScore     `json:"per_class"`
	MostConfused []ConfusedPair   `json:"most_confused"`
}

// ClassScore is one class's precision, recall and F1 (0 where undefined).
type ClassScore struct {
	Class     int     `json:"class"`
	Name      string  `json:"name"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// ConfusedPair is a true class taken for a predicted one, Count times.
type ConfusedPair struct {
	True      int `json:"true"`
	Predicted int `json:"pred"`
	Count     int `json:"count"`
}

func confusionOf(runID int64, a fmnist.EpochAnalysis) Confusion {
	out := Confusion{
		Run: runID, Epoch: a.Epoch, Classes: fmnist.ClassNames[:], Matrix: a.Confusion,
		Total: a.Confusion.Total(), Accuracy: a.Confusion.Accuracy(),
		PerClass: []ClassScore{}, MostConfused: []ConfusedPair{},
	}
	for _, s := range a.Confusion.Scores() {
		out.PerClass = append(out.PerClass, ClassScore{Class: s.Class, Name: fmnist.ClassNames[s.Class],
			Precision: s.Precision, Recall: s.Recall, F1: s.F1, Support: s.Support})
	}
	for _, p := range a.Confusion.MostConfused(3) {
		out.MostConfused = append(out.MostConfused, ConfusedPair(p))
	}
	return out
}

// Warning is the JSON of a training-health warning.
type Warning struct {
	Run     int64     `json:"run"`
	Kind    string    `json:"kind"`
	Epoch   int       `json:"epoch"`
	Batch   int       `json:"batch"`
	X       float64   `json:"x"` // where on the loss curve, in epochs
	Message string    `json:"message"`
	Meaning string    `json:"meaning"`
	Advice  string    `json:"advice"`
	Time    time.Time `json:"time"`
}

func warningOf(runID int64, w fmnist.Warning) Warning {
	meaning, advice := w.Kind.Meaning()
	return Warning{Run: runID, Kind: string(w.Kind), Epoch: w.Epoch, Batch: w.Batch, X: w.X,
		Message: w.Message, Meaning: meaning, Advice: advice, Time: w.Time.UTC()}
}
