package userimage

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/userimage/userimagetest"
)

// shirt is a w×h picture of a dark rectangle (the object, the middle half
// of each side) on a light background, or the other way round.
func shirt(w, h int, light bool) *image.Gray {
	bg, fg := uint8(240), uint8(30)
	if !light {
		bg, fg = fg, bg
	}
	return userimagetest.Photo(w, h, bg, fg, func(x, y int) bool { return x >= w/4 && x < 3*w/4 && y >= h/4 && y < 3*h/4 })
}

func encodePNG(t testing.TB, img image.Image) []byte { return userimagetest.PNG(t, img) }

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rowExtent is the first and last column of row y brighter than 128.
func rowExtent(in *Input, y int) (first, last int) {
	first, last = -1, -1
	for x := range Side {
		if in.Pixels[y*Side+x] > 128 {
			if first < 0 {
				first = x
			}
			last = x
		}
	}
	return first, last
}

func TestDecodeFitsLightBackgroundObjectInverted(t *testing.T) {
	// A 400×200 picture whose object is 200×100: trimmed to it, it fills
	// the 28 columns and 14 rows in the middle, light on black.
	for name, data := range map[string][]byte{"png": encodePNG(t, shirt(400, 200, true)), "jpeg": encodeJPEG(t, shirt(400, 200, true))} {
		in, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.Format != name || in.Width != 400 || in.Height != 200 || !in.Inverted {
			t.Errorf("%s: format %q %d×%d inverted %v", name, in.Format, in.Width, in.Height, in.Inverted)
		}
		if first, last := rowExtent(in, Side/2); first != 0 || last != Side-1 {
			t.Errorf("%s: the middle row's object spans columns %d-%d, want 0-27", name, first, last)
		}
		rows := 0
		for y := range Side {
			if f, _ := rowExtent(in, y); f >= 0 {
				rows++
			}
		}
		if rows < 13 || rows > 15 {
			t.Errorf("%s: the object covers %d rows, want 14 (the aspect kept)", name, rows)
		}
		if in.Pixels[0] > 20 {
			t.Errorf("%s: the background is %d after inversion, want near black", name, in.Pixels[0])
		}
	}
}

func TestDecodeKeepsDarkBackground(t *testing.T) {
	in, err := Decode(encodePNG(t, shirt(60, 90, false)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Inverted || in.Pixels[0] > 40 {
		t.Errorf("a dark background was inverted (%v) or is %d", in.Inverted, in.Pixels[0])
	}
	// The 30×45 object becomes 19×28, centred.
	if first, last := rowExtent(in, Side/2); first < 3 || first > 5 || last-first+1 < 18 || last-first+1 > 20 {
		t.Errorf("a tall object spans columns %d-%d, want about 4-22", first, last)
	}
}

func TestDecodeTransparentBackgroundIsWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := 10; y < 30; y++ {
		for x := 10; x < 30; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: 20, G: 20, B: 120, A: 255})
		}
	}
	in, err := Decode(encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Inverted || in.Pixels[Side*Side/2+Side/2] < 200 {
		t.Errorf("a cut-out on transparency: inverted %v, centre %d", in.Inverted, in.Pixels[Side*Side/2+Side/2])
	}
}

// setPNGSize rewrites a PNG's IHDR to claim w×h, with a valid CRC.
func setPNGSize(data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	ihdr := out[8:]
	binary.BigEndian.PutUint32(ihdr[8:], w)
	binary.BigEndian.PutUint32(ihdr[12:], h)
	binary.BigEndian.PutUint32(ihdr[8+13:], crc32.ChecksumIEEE(ihdr[4:8+13]))
	return out
}

// setJPEGSize rewrites a baseline JPEG's SOF0 to claim w×h.
func setJPEGSize(t *testing.T, data []byte, w, h uint16) []byte {
	out := bytes.Clone(data)
	at := bytes.Index(out, []byte{0xff, 0xc0})
	if at < 0 {
		t.Fatal("no SOF0 in the test JPEG")
	}
	binary.BigEndian.PutUint16(out[at+5:], h)
	binary.BigEndian.PutUint16(out[at+7:], w)
	return out
}

func zipped(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, _ := zw.Create("payload.js")
	f.Write([]byte("alert(1)"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeRefusesBadFiles: each kind of bad upload is refused with a
// message that says what is wrong, as an EINVALID error on the image field.
func TestDecodeRefusesBadFiles(t *testing.T) {
	pngData, jpegData := encodePNG(t, shirt(64, 64, true)), encodeJPEG(t, shirt(64, 64, true))
	var gifData bytes.Buffer
	if err := gif.Encode(&gifData, shirt(8, 8, true), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"truncated png", pngData[:len(pngData)/2], "cut short"},
		{"png without IEND", pngData[:len(pngData)-12], "cut short"},
		{"truncated jpeg", jpegData[:len(jpegData)/2], "cut short"},
		{"header only", pngData[:20], "PNG file"},
		{"100-megapixel png", setPNGSize(pngData, 10_000, 10_000), "100 megapixels"},
		{"100-megapixel jpeg", setJPEGSize(t, jpegData, 10_000, 10_000), "100 megapixels"},
		{"too wide", setPNGSize(pngData, 20_000, 10), "pixels a side"},
		{"no pixels", setPNGSize(pngData, 0, 10), "PNG"},
		{"text named .png", []byte("hello, this is not a picture"), "text/plain"},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "text/html"},
		{"gif", gifData.Bytes(), "image/gif"},
		{"zip", zipped(t), "application/zip"},
		{"png + zip polyglot", append(bytes.Clone(pngData), zipped(t)...), "polyglot"},
		{"jpeg + html polyglot", append(bytes.Clone(jpegData), "<html><script>alert(1)</script>"...), "polyglot"},
		{"too large", append(bytes.Clone(pngData), make([]byte, MaxBytes)...), "at most 5 MB"},
		{"flat colour", encodePNG(t, image.NewGray(image.Rect(0, 0, 30, 30))), "one flat colour"},
		{"damaged png", append(append(bytes.Clone(pngData[:33]), bytes.Repeat([]byte{0x42}, 40)...), pngData[len(pngData)-12:]...), "PNG"},
	} {
		in, err := Decode(c.data)
		if err == nil {
			t.Errorf("%s: taken (%+v)", c.name, in.Format)
			continue
		}
		if fmnist.ErrorCode(err) != fmnist.EINVALID || fmnist.ErrorField(err) != Field {
			t.Errorf("%s: error %v is not an invalid %s field", c.name, err, Field)
		}
		if msg := fmnist.ErrorMessage(err); !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q does not say %q", c.name, msg, c.want)
		}
	}
}

// TestDecodeTrailingZerosAreNotAPolyglot: padding is allowed.
func TestDecodeTrailingZerosAreNotAPolyglot(t *testing.T) {
	if _, err := Decode(append(encodeJPEG(t, shirt(64, 64, true)), 0, 0, 0, 0)); err != nil {
		t.Error(err)
	}
}

// TestDecodeHugeClaimAllocatesLittle: a file claiming 100 megapixels is
// refused from its header, without allocating its pixels.
func TestDecodeHugeClaimAllocatesLittle(t *testing.T) {
	data := setPNGSize(encodePNG(t, shirt(64, 64, true)), 10_000, 10_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Decode(data); err == nil {
		t.Fatal("a 100-megapixel picture was taken")
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", grew)
	}
}

// FuzzDecode feeds the decoder front end arbitrary files: it must never
// panic, and either refuse with an invalid-image error or return an input
// of a size it allows.
func FuzzDecode(f *testing.F) {
	pngData, jpegData := encodePNG(f, shirt(40, 30, true)), encodeJPEG(f, shirt(30, 40, false))
	f.Add(pngData)
	f.Add(jpegData)
	f.Add(pngData[:len(pngData)/2])
	f.Add(jpegData[:len(jpegData)-3])
	f.Add(append(bytes.Clone(jpegData), "PK\x03\x04"...))
	f.Add([]byte{})
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Decode(data)
		if err != nil {
			if fmnist.ErrorCode(err) != fmnist.EINVALID || fmnist.ErrorMessage(err) == "" {
				t.Fatalf("refusal %v is not an invalid-image error with a message", err)
			}
			return
		}
		if in.Width < 1 || in.Height < 1 || in.Width > MaxSide || in.Height > MaxSide || in.Width*in.Height > MaxPixels {
			t.Fatalf("took a %d×%d picture", in.Width, in.Height)
		}
	})
}
