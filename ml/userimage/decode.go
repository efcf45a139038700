// Package userimage turns an image file someone uploads into the network's
// input, the way Fashion-MNIST was made from product photos: grey, trimmed
// to the object, fit into 28×28 keeping its aspect, and inverted when the
// background is light (Fashion-MNIST's objects are light on black).
//
// Decode is the one way in. It trusts nothing of the file: the type is read
// from its first bytes (never a name), the size from its header before any
// pixel is decoded, and a file that goes on after its image ends (another
// file hidden behind it, a polyglot) is refused.
package userimage

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"

	"github.com/fmnist/trainer/fmnist"
)

const (
	// Side is the width and height of the network's input.
	Side = 28
	// MaxBytes is the largest file taken.
	MaxBytes = 5 << 20
	// MaxPixels and MaxSide bound an image's size, read from its header
	// before decoding: a decoded image costs up to 4 bytes a pixel, and a
	// small file can claim a huge one.
	MaxPixels = 16_000_000
	MaxSide   = 10_000
	// Field names the upload in errors (fmnist.Error's Field).
	Field = "image"
)

// Input is an uploaded image as the network sees it.
type Input struct {
	Pixels        [Side * Side]uint8 // row-major, 0 black … 255 white, the object light on dark
	Format        string             // "png" or "jpeg"
	Width, Height int                // of the file's image
	Inverted      bool               // the background was light, so the grey values were turned over
}

// Decode reads a PNG or JPEG file and converts it. Every refusal is an
// EINVALID fmnist.Error on Field whose message says what is wrong and what
// to do; nothing of the file is kept.
func Decode(data []byte) (*Input, error) {
	format, err := sniff(data)
	if err != nil {
		return nil, err
	}
	cfgOf, decode, end := png.DecodeConfig, png.Decode, pngEnd
	if format == "jpeg" {
		cfgOf, decode, end = jpeg.DecodeConfig, jpeg.Decode, jpegEnd
	}
	name := strings.ToUpper(format)
	cfg, err := cfgOf(bytes.NewReader(data))
	if err != nil {
		return nil, damaged(name, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	stop, err := end(data)
	if err != nil {
		return nil, damaged(name, err)
	}
	if extra := data[stop:]; len(bytes.Trim(extra, "\x00")) > 0 {
		return nil, refuse("The file goes on for %d bytes after its %s image ends, which is how a file that is two formats at once "+
			"(a polyglot) hides another one. Save the picture again as a plain PNG or JPEG.", len(extra), name)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, damaged(name, err)
	}
	in, err := convert(grey(img))
	if err != nil {
		return nil, err
	}
	in.Format, in.Width, in.Height = format, cfg.Width, cfg.Height
	return in, nil
}

// sniff names the format from the file's first bytes: "png" or "jpeg", or
// a refusal that says what the file is instead.
func sniff(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", refuse("The file is empty. Choose a PNG or JPEG picture.")
	case len(data) > MaxBytes:
		return "", refuse("The file is %.1f MB; a picture may be at most %d MB.", float64(len(data))/(1<<20), MaxBytes>>20)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png", nil
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "jpeg", nil
	}
	kind := http.DetectContentType(data)
	kind, _, _ = strings.Cut(kind, ";")
	return "", refuse("The file is not a PNG or JPEG picture (its content looks like %s). Choose a PNG or JPEG file; its name does not matter, its content does.", kind)
}

func checkSize(w, h int) error {
	switch {
	case w < 1 || h < 1:
		return refuse("The picture has no pixels (%d×%d).", w, h)
	case w > MaxSide || h > MaxSide || w*h > MaxPixels:
		return refuse("The picture is %d×%d pixels (%.0f megapixels); at most %d megapixels and %d pixels a side are taken. Shrink it first.",
			w, h, float64(w)*float64(h)/1e6, MaxPixels/1_000_000, MaxSide)
	}
	return nil
}

func refuse(format string, args ...any) error {
	return fmnist.FieldError(Field, fmt.Sprintf(format, args...))
}

// damaged is the refusal of a file whose structure is broken; the
// decoder's reason is kept in the message, as it says where.
func damaged(format string, err error) error {
	reason := err.Error()
	if errors.Is(err, errTruncated) || strings.Contains(reason, "EOF") {
		return refuse("The %s file is cut short: its image does not end. Upload the whole file.", format)
	}
	return refuse("The %s file is damaged (%s). Save the picture again and upload that.", format, reason)
}
