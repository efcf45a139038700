package views

import (
	"reflect"
	"testing"

	"github.com/fmnist/trainer/fmnist"
)

func TestRunMarkers(t *testing.T) {
	epochs := []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.8512}, {Epoch: 2, TestAccuracy: 0.87}}
	cks := []fmnist.Checkpoint{{ID: 1, Epoch: 1}, {ID: 2, Epoch: 3, Batch: 8}, {ID: 3, Epoch: 3, Batch: 16}}
	resumes := []fmnist.Resume{{CheckpointID: 2, Epoch: 3, Batch: 8, X: 2.25}}
	got := RunMarkers(epochs, resumes, cks, 32)
	want := []ChartMarker{
		{X: 2.25, Kind: "resume", Label: "stopped · resumed"},
		{X: 2.5, Kind: "checkpoint", Label: "stopped · saved"},
		{X: 1, Kind: "epoch", Label: "epoch 1 · 85.1% · saved"},
		{X: 2, Kind: "epoch", Label: "epoch 2 · 87.0%"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("markers\n got %+v\nwant %+v", got, want)
	}
	// Without the dataset the mid-epoch stops cannot be placed; the resume
	// still can (it carries its x).
	if got := RunMarkers(nil, resumes, cks, 0); len(got) != 1 || got[0].Label != "resumed" {
		t.Errorf("without batches per epoch: %+v", got)
	}
}
