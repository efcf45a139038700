package handlers

import (
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

func TestRunMarkers(t *testing.T) {
	epochs := []fmnist.EpochResult{{Epoch: 1, TestAccuracy: 0.8512}, {Epoch: 2, TestAccuracy: 0.87}}
	cks := []fmnist.Checkpoint{{ID: 1, Epoch: 1}, {ID: 2, Epoch: 3, Batch: 8}, {ID: 3, Epoch: 3, Batch: 16}}
	resumes := []fmnist.Resume{{CheckpointID: 2, Epoch: 3, Batch: 8, X: 2.25}}
	got := runMarkers(epochs, resumes, cks, 32)
	want := []views.ChartMarker{
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
	if got := runMarkers(nil, resumes, cks, 0); len(got) != 1 || got[0].Label != "resumed" {
		t.Errorf("without batches per epoch: %+v", got)
	}
}

func TestSmoothParam(t *testing.T) {
	for q, want := range map[string]float64{"": 0, "0.6": 0.6, "2": views.MaxSmoothing, "-1": 0, "x": 0, "NaN": 0} {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/?smooth="+q, nil), httptest.NewRecorder())
		if got := smoothParam(c); got != want {
			t.Errorf("?smooth=%s gives %v, want %v", q, got, want)
		}
	}
}
