package inspect

import (
	"image"
	"image/color"
	"math"
)

// The pictures of what the network holds: grids of small squares, each
// enlarged by whole pixels so they stay crisp without the browser's
// scaling, on a white background with gaps between cells.

const gridGap = 2 // pixels between the cells of a grid

// Grid is the layout of a picture of cells: each cell side×side values,
// drawn at scale pixels per value, cols per row.
type Grid struct {
	Side, Scale, Cols int
}

// FilterGrid draws the first convolution's 3×3 filters, one cell each,
// cols to a row: blue for negative weights, red for positive, white for
// zero, all on one scale (the largest weight's magnitude) so filters
// compare.
func (n *Network) FilterGrid(scale, cols int) *image.RGBA {
	filters := make([][]float64, n.Conv1)
	top := 0.0
	for f := range filters {
		filters[f] = n.conv1W[f*9 : (f+1)*9]
		for _, w := range filters[f] {
			top = max(top, math.Abs(w))
		}
	}
	return Grid{Side: 3, Scale: scale, Cols: cols}.Draw(filters, func(v float64) color.RGBA { return diverging(v, top) })
}

// ActivationGrid draws activation maps (as Trace.Conv1 or Trace.Conv2),
// cols to a row, dark for zero and bright for the layer's largest value.
func ActivationGrid(maps [][]float64, scale, cols int) *image.RGBA {
	if len(maps) == 0 {
		return image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	top := 0.0
	for _, m := range maps {
		for _, v := range m {
			top = max(top, v)
		}
	}
	side := int(math.Round(math.Sqrt(float64(len(maps[0])))))
	return Grid{Side: side, Scale: scale, Cols: cols}.Draw(maps, func(v float64) color.RGBA { return heat(v, top) })
}

// Draw lays cells out on a white picture, colouring each value with paint.
func (g Grid) Draw(cells [][]float64, paint func(float64) color.RGBA) *image.RGBA {
	cols := max(1, min(g.Cols, len(cells)))
	rows := max(1, (len(cells)+cols-1)/cols)
	cell := g.Side * g.Scale
	img := image.NewRGBA(image.Rect(0, 0, cols*cell+(cols-1)*gridGap, rows*cell+(rows-1)*gridGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for k, values := range cells {
		x0, y0 := (k%cols)*(cell+gridGap), (k/cols)*(cell+gridGap)
		for i, v := range values {
			c := paint(v)
			for dy := range g.Scale {
				for dx := range g.Scale {
					img.SetRGBA(x0+(i%g.Side)*g.Scale+dx, y0+(i/g.Side)*g.Scale+dy, c)
				}
			}
		}
	}
	return img
}

// SaliencyOverlay draws a 28×28 image (pixels 0-255, row-major) in grey,
// scale pixels per pixel, with the saliency's magnitude laid over it in
// red: the more a pixel sways the class, the redder.
func SaliencyOverlay(pixels []uint8, saliency []float64, scale int) *image.RGBA {
	top := 0.0
	for _, g := range saliency {
		top = max(top, math.Abs(g))
	}
	img := image.NewRGBA(image.Rect(0, 0, Side*scale, Side*scale))
	for i := range min(len(pixels), len(saliency), Pixels) {
		grey := float64(pixels[i]) * 0.6 // dimmed, so the red stands out
		alpha := 0.0
		if top > 0 {
			alpha = math.Sqrt(math.Abs(saliency[i]) / top) // √ lifts the faint pixels into view
		}
		c := color.RGBA{
			R: uint8(grey*(1-alpha) + 255*alpha),
			G: uint8(grey*(1-alpha) + 40*alpha),
			B: uint8(grey*(1-alpha) + 40*alpha),
			A: 0xff,
		}
		for dy := range scale {
			for dx := range scale {
				img.SetRGBA((i%Side)*scale+dx, (i/Side)*scale+dy, c)
			}
		}
	}
	return img
}

// diverging maps v in [-top, top] to blue (negative), white (0) and red
// (positive).
func diverging(v, top float64) color.RGBA {
	t := 0.0
	if top > 0 {
		t = math.Max(-1, math.Min(1, v/top))
	}
	fade := uint8(255 * (1 - math.Abs(t)))
	if t < 0 {
		return color.RGBA{R: fade, G: fade, B: 255, A: 0xff}
	}
	return color.RGBA{R: 255, G: fade, B: fade, A: 0xff}
}

// heatStops is a dark-to-bright colour scale (after matplotlib's inferno).
var heatStops = [...]color.RGBA{
	{0, 0, 4, 255}, {87, 16, 110, 255}, {188, 55, 84, 255}, {249, 142, 9, 255}, {252, 255, 164, 255},
}

// heat maps v in [0, top] onto heatStops.
func heat(v, top float64) color.RGBA {
	t := 0.0
	if top > 0 {
		t = math.Max(0, math.Min(1, v/top))
	}
	pos := t * float64(len(heatStops)-1)
	i := min(int(pos), len(heatStops)-2)
	f := pos - float64(i)
	a, b := heatStops[i], heatStops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f + 0.5) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xff}
}
