package inspect

import (
	"image/color"
	"testing"

	"github.com/fmnist/trainer/ml/nn"
)

func TestFilterGridLayoutAndColours(t *testing.T) {
	net, err := New(tinyNetwork(t, nn.DefaultSpec(1e-3), 4).Params())
	if err != nil {
		t.Fatal(err)
	}
	img := net.FilterGrid(8, 8)
	// 8 cells of 24 px and 7 gaps across, 4 rows down.
	if b := img.Bounds(); b.Dx() != 8*24+7*gridGap || b.Dy() != 4*24+3*gridGap {
		t.Fatalf("grid is %v, want %dx%d", b, 8*24+7*gridGap, 4*24+3*gridGap)
	}
	// The first weight of filter 0 is at the top left, and its colour
	// follows its sign.
	c := img.RGBAAt(3, 3)
	if w := net.conv1W[0]; w > 0 && !(c.R == 255 && c.B < 255) || w < 0 && !(c.B == 255 && c.R < 255) {
		t.Errorf("weight %v drawn as %v", w, c)
	}
	if gap := img.RGBAAt(24, 0); gap != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("the gap between cells is %v, want white", gap)
	}
}

func TestActivationGridScale(t *testing.T) {
	maps := [][]float64{{0, 1, 2, 4}, {4, 0, 0, 0}}
	img := ActivationGrid(maps, 1, 2)
	if b := img.Bounds(); b.Dx() != 2*2+gridGap || b.Dy() != 2 {
		t.Fatalf("grid is %v", b)
	}
	if got := img.RGBAAt(0, 0); got != heatStops[0] {
		t.Errorf("zero is %v, want the darkest colour", got)
	}
	if got := img.RGBAAt(1, 1); got != heatStops[len(heatStops)-1] {
		t.Errorf("the largest value is %v, want the brightest colour", got)
	}
}

func TestSaliencyOverlayReddensSwayingPixels(t *testing.T) {
	pixels := make([]uint8, Pixels)
	sal := make([]float64, Pixels)
	sal[5] = -3 // the magnitude counts, not the sign
	img := SaliencyOverlay(pixels, sal, 2)
	if got := img.RGBAAt(10, 0); got.R != 255 || got.G > 50 {
		t.Errorf("the most salient pixel is %v, want red", got)
	}
	if got := img.RGBAAt(0, 0); got.R != 0 {
		t.Errorf("a pixel of no saliency on black is %v", got)
	}
}
