package userimage

import (
	"image"
	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// The conversion after Fashion-MNIST's paper (Xiao et al., 2017, section
// 2): trim the edges close to the background's colour, shrink the longest
// side to 28, centre on the shortest, make it grey, and negate. The paper's
// light sharpening is left out: it matters little at 28×28.

// trimDistance is how far (5% of the range, as the paper's) a grey value
// may be from the background and still be trimmed as background.
const trimDistance = 255 * 5 / 100

// grey returns img as grey values, transparent parts on white (a cut-out
// product photo's background). A JPEG's luma plane is taken as it is.
func grey(img image.Image) *image.Gray {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch src := img.(type) {
	case *image.YCbCr:
		for y := range b.Dy() {
			row := src.Y[src.YOffset(b.Min.X, b.Min.Y+y):]
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], row[:b.Dx()])
		}
	case *image.Gray:
		draw.Draw(out, out.Bounds(), src, b.Min, draw.Src)
	default:
		for y := range b.Dy() {
			for x := range b.Dx() {
				r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied, 16 bits
				lum := (19595*r + 38470*g + 7471*bl + 1<<15) >> 16
				out.Pix[y*out.Stride+x] = uint8((lum + (0xffff - a)) >> 8)
			}
		}
	}
	return out
}

// convert fits a grey picture into the network's input.
func convert(g *image.Gray) (*Input, error) {
	bg := borderMean(g)
	box, ok := objectBounds(g, bg)
	if !ok {
		return nil, refuse("The picture is one flat colour: there is nothing in it to classify.")
	}
	w, h := box.Dx(), box.Dy()
	sw, sh := Side, Side
	if w >= h {
		sh = max(1, (h*Side+w/2)/w)
	} else {
		sw = max(1, (w*Side+h/2)/h)
	}
	canvas := image.NewGray(image.Rect(0, 0, Side, Side))
	for i := range canvas.Pix {
		canvas.Pix[i] = bg
	}
	at := image.Rect((Side-sw)/2, (Side-sh)/2, (Side-sw)/2+sw, (Side-sh)/2+sh)
	// Catmull-Rom widens its kernel as it shrinks, so every source pixel
	// counts (no aliasing from skipped rows).
	xdraw.CatmullRom.Scale(canvas, at, g, box, xdraw.Src, nil)
	in := &Input{Inverted: bg > 127}
	for i, v := range canvas.Pix {
		if in.Inverted {
			v = 255 - v
		}
		in.Pixels[i] = v
	}
	return in, nil
}

// borderMean is the mean grey of the picture's outermost pixels: its
// background.
func borderMean(g *image.Gray) uint8 {
	b := g.Bounds()
	var sum, n int
	for x := b.Min.X; x < b.Max.X; x++ {
		sum += int(g.GrayAt(x, b.Min.Y).Y) + int(g.GrayAt(x, b.Max.Y-1).Y)
		n += 2
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		sum += int(g.GrayAt(b.Min.X, y).Y) + int(g.GrayAt(b.Max.X-1, y).Y)
		n += 2
	}
	return uint8((sum + n/2) / n)
}

// objectBounds is the smallest rectangle holding every pixel further than
// trimDistance from the background; false when there is none.
func objectBounds(g *image.Gray, bg uint8) (image.Rectangle, bool) {
	b := g.Bounds()
	box := image.Rectangle{Min: b.Max, Max: b.Min}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride:][:b.Dx()]
		for i, v := range row {
			if d := int(v) - int(bg); d > trimDistance || d < -trimDistance {
				x := b.Min.X + i
				box.Min.X, box.Max.X = min(box.Min.X, x), max(box.Max.X, x+1)
				box.Min.Y, box.Max.Y = min(box.Min.Y, y), max(box.Max.Y, y+1)
			}
		}
	}
	return box, !box.Empty()
}
