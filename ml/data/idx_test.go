package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fmnist/trainer/ml/data/datatest"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSetValid(t *testing.T) {
	pixels, labels := datatest.Synthetic(25, 1)
	imgPath := writeTemp(t, TrainImagesFile, datatest.EncodeImages(pixels))
	lblPath := writeTemp(t, TrainLabelsFile, datatest.EncodeLabels(labels))

	set, err := ReadSet(imgPath, lblPath)
	if err != nil {
		t.Fatalf("ReadSet: %v", err)
	}
	if set.Count != 25 || set.Rows != 28 || set.Cols != 28 {
		t.Errorf("Count, Rows, Cols = %d, %d, %d; want 25, 28, 28", set.Count, set.Rows, set.Cols)
	}
	if !bytes.Equal(set.Images, pixels) || !bytes.Equal(set.Labels, labels) {
		t.Error("decoded data differs from what was encoded")
	}
}

// Each case is an uncompressed IDX file and the words its error must contain.
func TestDecodeImagesRejects(t *testing.T) {
	pixels, _ := datatest.Synthetic(4, 2)
	valid := datatest.IDX(datatest.ImagesMagic, []int{4, 28, 28}, pixels)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated header"},
		{"short header", valid[:10], "truncated header"},
		{"label magic", datatest.IDX(datatest.LabelsMagic, []int{4, 28, 28}, pixels), "magic number 2049"},
		{"int32 type byte", datatest.IDX(0x0c03, []int{4, 28, 28}, pixels), "magic number 3075"},
		{"wrong size", datatest.IDX(datatest.ImagesMagic, []int{4, 27, 28}, pixels[:4*27*28]), "27×28"},
		{"no images", datatest.IDX(datatest.ImagesMagic, []int{0, 28, 28}, nil), "declares no images"},
		{"truncated data", valid[:len(valid)-1], "only 3135 bytes follow"},
		{"header only", valid[:16], "only 0 bytes follow"},
		{"trailing byte", append(bytes.Clone(valid), 0), "trailing data"},
		{"count over maximum", datatest.IDX(datatest.ImagesMagic, []int{MaxIDXCount + 1, 28, 28}, pixels), "more than the maximum"},
		{"count 2^32-1", datatest.IDX(datatest.ImagesMagic, []int{1<<32 - 1, 28, 28}, pixels), "more than the maximum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeImages(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatal("DecodeImages accepted the data")
			}
			if !errors.Is(err, ErrInvalidIDX) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrInvalidIDX mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDecodeLabelsRejects(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"image magic", datatest.IDX(datatest.ImagesMagic, []int{3}, []byte{1, 2, 3}), "magic number 2051"},
		{"label 10", datatest.IDX(datatest.LabelsMagic, []int{3}, []byte{1, 10, 3}), "label 10 of image 1"},
		{"label 255", datatest.IDX(datatest.LabelsMagic, []int{1}, []byte{255}), "label 255 of image 0"},
		{"truncated", datatest.IDX(datatest.LabelsMagic, []int{4}, []byte{1, 2, 3}), "declares 4 labels"},
		{"trailing", datatest.IDX(datatest.LabelsMagic, []int{2}, []byte{1, 2, 3}), "trailing data"},
		{"no labels", datatest.IDX(datatest.LabelsMagic, []int{0}, nil), "declares no labels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeLabels(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatal("DecodeLabels accepted the data")
			}
			if !errors.Is(err, ErrInvalidIDX) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrInvalidIDX mentioning %q", err, tc.want)
			}
		})
	}
}

// A header may claim up to MaxIDXCount images (784 MB) while the file holds
// a few bytes: the reader must fail on the missing data without having
// reserved what the header declared.
func TestHugeDeclaredCountDoesNotAllocate(t *testing.T) {
	data := datatest.IDX(datatest.ImagesMagic, []int{MaxIDXCount, 28, 28}, make([]byte, 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := DecodeImages(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4<<20 {
		t.Errorf("decoding a 116-byte stream allocated %d bytes", allocated)
	}

	// Reading a file sizes its buffer by the compressed size, which must
	// bound the reservation just as well.
	path := writeTemp(t, TrainImagesFile, datatest.Gzip(data))
	runtime.ReadMemStats(&before)
	_, _, err = ReadImagesFile(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v, want a truncation error", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 4<<20 {
		t.Errorf("reading a small file that declares %d images allocated %d bytes", MaxIDXCount, allocated)
	}
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	pixels, labels := datatest.Synthetic(5, 3)
	good := datatest.EncodeImages(pixels)

	corruptCRC := bytes.Clone(good)
	corruptCRC[len(corruptCRC)-6] ^= 0xff // inside the CRC-32 trailer
	cutGzip := good[:len(good)/2]
	garbageAfterGzip := append(bytes.Clone(good), "junk"...)

	for name, data := range map[string][]byte{
		"not gzip":           datatest.IDX(datatest.ImagesMagic, []int{5, 28, 28}, pixels),
		"bad gzip checksum":  corruptCRC,
		"cut gzip stream":    cutGzip,
		"garbage after gzip": garbageAfterGzip,
		"two gzip members":   append(bytes.Clone(good), good...),
	} {
		t.Run(name, func(t *testing.T) {
			path := writeTemp(t, TestImagesFile, data)
			_, _, err := ReadImagesFile(path)
			if err == nil {
				t.Fatal("ReadImagesFile accepted the file")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), TestLabelsFile)
		if _, err := ReadLabelsFile(path); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want ErrNotExist naming %s", err, path)
		}
	})

	t.Run("count mismatch", func(t *testing.T) {
		imgPath := writeTemp(t, TestImagesFile, good)
		lblPath := writeTemp(t, TestLabelsFile, datatest.EncodeLabels(labels[:4]))
		_, err := ReadSet(imgPath, lblPath)
		if err == nil || !strings.Contains(err.Error(), "5 images") || !strings.Contains(err.Error(), "4 labels") {
			t.Errorf("err = %v, want a mismatch of 5 images and 4 labels", err)
		}
	})
}

// FuzzReadIDX feeds arbitrary bytes to both decoders: they must never panic,
// and whatever they accept must re-encode to exactly the input.
func FuzzReadIDX(f *testing.F) {
	pixels, labels := datatest.Synthetic(2, 1)
	images := datatest.IDX(datatest.ImagesMagic, []int{2, 28, 28}, pixels)
	lbls := datatest.IDX(datatest.LabelsMagic, []int{2}, labels)
	f.Add(images)
	f.Add(lbls)
	f.Add(images[:20])
	f.Add(datatest.IDX(datatest.ImagesMagic, []int{MaxIDXCount, 28, 28}, nil))
	f.Add(datatest.IDX(datatest.LabelsMagic, []int{1 << 31}, nil))
	f.Add(datatest.IDX(datatest.LabelsMagic, []int{3}, []byte{9, 10, 0}))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		if px, n, err := DecodeImages(bytes.NewReader(data)); err == nil {
			if n < 1 || len(px) != n*ImageSize {
				t.Fatalf("accepted %d images with %d pixel bytes", n, len(px))
			}
			if !bytes.Equal(datatest.IDX(datatest.ImagesMagic, []int{n, 28, 28}, px), data) {
				t.Fatal("accepted images do not re-encode to the input")
			}
		}
		if l, err := DecodeLabels(bytes.NewReader(data)); err == nil {
			if len(l) < 1 || !bytes.Equal(datatest.IDX(datatest.LabelsMagic, []int{len(l)}, l), data) {
				t.Fatal("accepted labels do not re-encode to the input")
			}
			for _, v := range l {
				if v > 9 {
					t.Fatalf("accepted label %d", v)
				}
			}
		}
	})
}
