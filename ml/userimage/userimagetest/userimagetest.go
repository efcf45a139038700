// Package userimagetest makes pictures for tests of the image upload: a
// grey background with an object on it, as a product photo would be.
package userimagetest

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// Photo is a w×h grey picture of background bg with the pixels where
// object reports true in fg.
func Photo(w, h int, bg, fg uint8, object func(x, y int) bool) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := bg
			if object(x, y) {
				v = fg
			}
			img.Pix[y*img.Stride+x] = v
		}
	}
	return img
}

// PNG encodes img.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
