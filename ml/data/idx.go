package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/fmnist/trainer/fmnist"
)

// IDX is the MNIST file format: a big-endian uint32 magic number (0x08 for
// unsigned bytes and the number of dimensions in its low bytes), one uint32
// per dimension, then the data.
const (
	idxImagesMagic = 0x00000803 // 2051: ubyte, 3 dimensions (count, rows, cols)
	idxLabelsMagic = 0x00000801 // 2049: ubyte, 1 dimension (count)
)

// MaxIDXCount bounds the number of images or labels a file may declare.
// Headers are checked against it before anything is allocated, so a corrupt
// or hostile header cannot make the reader reserve gigabytes. Fashion-MNIST
// has 60,000 training images.
const MaxIDXCount = 1 << 20

// ErrInvalidIDX is wrapped by every error about the content of an IDX file
// (as opposed to failing to open or read it).
var ErrInvalidIDX = errors.New("invalid IDX data")

func invalidIDX(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidIDX, fmt.Sprintf(format, args...))
}

// defaultPrealloc is how much DecodeImages and DecodeLabels reserve before
// data arrives when they cannot tell how much may come.
const defaultPrealloc = 1 << 20

// maxDeflateRatio bounds how far deflate can expand its input (about
// 1032:1), so a compressed file of n bytes cannot hold more than this times
// n bytes of data: safe to reserve up front.
const maxDeflateRatio = 1032

// DecodeImages reads an uncompressed IDX image file of 28×28 images and
// returns the pixels, image after image, and the image count. The data must
// end exactly after the last image.
func DecodeImages(r io.Reader) (pixels []uint8, count int, err error) {
	return decodeImages(r, defaultPrealloc)
}

// decodeImages is DecodeImages reserving at most prealloc bytes before the
// data arrives.
func decodeImages(r io.Reader, prealloc int) (pixels []uint8, count int, err error) {
	dims, err := readIDXHeader(r, idxImagesMagic, "images")
	if err != nil {
		return nil, 0, err
	}
	count, rows, cols := dims[0], dims[1], dims[2]
	if rows != ImageRows || cols != ImageCols {
		return nil, 0, invalidIDX("images are %d×%d pixels, want %d×%d", rows, cols, ImageRows, ImageCols)
	}
	pixels, err = readIDXData(r, count*ImageSize, prealloc, fmt.Sprintf("%d images of %d×%d", count, rows, cols))
	if err != nil {
		return nil, 0, err
	}
	return pixels, count, nil
}

// DecodeLabels reads an uncompressed IDX label file; every label must be in
// 0..9 and the data must end exactly after the last label.
func DecodeLabels(r io.Reader) ([]uint8, error) {
	return decodeLabels(r, defaultPrealloc)
}

func decodeLabels(r io.Reader, prealloc int) ([]uint8, error) {
	dims, err := readIDXHeader(r, idxLabelsMagic, "labels")
	if err != nil {
		return nil, err
	}
	count := dims[0]
	labels, err := readIDXData(r, count, prealloc, fmt.Sprintf("%d labels", count))
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= fmnist.NumClasses {
			return nil, invalidIDX("label %d of image %d is outside 0..%d", l, i, fmnist.NumClasses-1)
		}
	}
	return labels, nil
}

// readIDXHeader reads and checks the magic number and the dimensions.
func readIDXHeader(r io.Reader, wantMagic uint32, what string) ([]int, error) {
	ndims := int(wantMagic & 0xff)
	header := make([]byte, 4*(1+ndims))
	if n, err := io.ReadFull(r, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalidIDX("truncated header: %d of %d bytes", n, len(header))
		}
		return nil, fmt.Errorf("read IDX header: %w", err)
	}
	if magic := binary.BigEndian.Uint32(header); magic != wantMagic {
		return nil, invalidIDX("magic number %d (%#08x), want %d (%#08x) for %s", magic, magic, wantMagic, wantMagic, what)
	}
	dims := make([]int, ndims)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(header[4*(i+1):]))
	}
	switch {
	case dims[0] == 0:
		return nil, invalidIDX("the file declares no %s", what)
	case dims[0] > MaxIDXCount:
		return nil, invalidIDX("the file declares %d %s, more than the maximum %d", dims[0], what, MaxIDXCount)
	}
	return dims, nil
}

// readIDXData reads exactly n bytes and checks that nothing follows them.
// The buffer starts at no more than prealloc bytes and grows with the data
// actually read, so a header that overstates the size fails on the missing
// bytes instead of allocating what it declared.
func readIDXData(r io.Reader, n, prealloc int, what string) ([]byte, error) {
	buf := make([]byte, 0, max(1, min(n, prealloc)))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), n-len(buf)))
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read IDX data: %w", err)
		}
	}
	if len(buf) < n {
		return nil, invalidIDX("truncated: the header declares %s (%d bytes) but only %d bytes follow", what, n, len(buf))
	}
	// Reading on to EOF also makes a gzip reader verify its checksum.
	var extra [1]byte
	m, err := io.ReadFull(r, extra[:])
	if m > 0 {
		return nil, invalidIDX("trailing data after the %s the header declares", what)
	}
	if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read to the end of the IDX data: %w", err)
	}
	return buf, nil
}

// openGzip opens a gzip-compressed file. Close the returned closer when
// done. prealloc is how much the decoded data may be trusted to need: the
// most the file's size can decompress to.
func openGzip(path string) (zr io.Reader, closer io.Closer, prealloc int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	zr, err = gzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("%s: not a gzip file: %w", path, err)
	}
	return zr, f, max(defaultPrealloc, int(min(info.Size(), MaxIDXCount*ImageSize/maxDeflateRatio))*maxDeflateRatio), nil
}

// ReadImagesFile reads a gzip-compressed IDX image file (see DecodeImages).
func ReadImagesFile(path string) (pixels []uint8, count int, err error) {
	zr, closer, prealloc, err := openGzip(path)
	if err != nil {
		return nil, 0, err
	}
	defer closer.Close()
	pixels, count, err = decodeImages(zr, prealloc)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return pixels, count, nil
}

// ReadLabelsFile reads a gzip-compressed IDX label file (see DecodeLabels).
func ReadLabelsFile(path string) ([]uint8, error) {
	zr, closer, prealloc, err := openGzip(path)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	labels, err := decodeLabels(zr, prealloc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, nil
}

// ReadSet reads one split from its image and label files and checks that
// they hold the same number of items.
func ReadSet(imagesPath, labelsPath string) (Set, error) {
	pixels, count, err := ReadImagesFile(imagesPath)
	if err != nil {
		return Set{}, err
	}
	labels, err := ReadLabelsFile(labelsPath)
	if err != nil {
		return Set{}, err
	}
	if len(labels) != count {
		return Set{}, fmt.Errorf("%w: %s holds %d images but %s holds %d labels", ErrInvalidIDX, imagesPath, count, labelsPath, len(labels))
	}
	return Set{Images: pixels, Labels: labels, Count: count, Rows: ImageRows, Cols: ImageCols}, nil
}
