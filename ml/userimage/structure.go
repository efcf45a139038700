package userimage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Where an image ends inside its file, found by walking the file's
// structure (PNG chunks, JPEG segments) without decoding pixels. The
// decoders stop reading at the end marker and ignore what follows, so
// without this a file could carry anything after its picture.

var errTruncated = errors.New("the file ends before its image does")

// pngEnd returns the offset just past the IEND chunk.
func pngEnd(data []byte) (int, error) {
	pos := 8 // the signature
	for {
		if pos+12 > len(data) {
			return 0, errTruncated
		}
		length := int64(binary.BigEndian.Uint32(data[pos:]))
		kind := string(data[pos+4 : pos+8])
		end := int64(pos) + 12 + length // length, type, data, CRC
		if end > int64(len(data)) {
			return 0, errTruncated
		}
		pos = int(end)
		if kind == "IEND" {
			return pos, nil
		}
	}
}

// jpegEnd returns the offset just past the EOI marker. Segments with a
// length (an EXIF thumbnail, with markers of its own, sits inside one) are
// skipped whole; after a start of scan the entropy-coded data runs to the
// next marker that is not a stuffed 0xFF00 or a restart.
func jpegEnd(data []byte) (int, error) {
	pos := 2 // SOI
	for {
		if pos+2 > len(data) {
			return 0, errTruncated
		}
		if data[pos] != 0xff {
			return 0, fmt.Errorf("no marker at byte %d", pos)
		}
		marker := data[pos+1]
		switch {
		case marker == 0xff: // fill byte
			pos++
			continue
		case marker == 0xd9: // EOI
			return pos + 2, nil
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8: // TEM, RSTn, SOI: no length
			pos += 2
			continue
		}
		if pos+4 > len(data) {
			return 0, errTruncated
		}
		length := int(binary.BigEndian.Uint16(data[pos+2:]))
		if length < 2 {
			return 0, fmt.Errorf("segment 0x%02x at byte %d has length %d", marker, pos, length)
		}
		pos += 2 + length
		if pos > len(data) {
			return 0, errTruncated
		}
		if marker != 0xda { // not a start of scan
			continue
		}
		for ; ; pos++ {
			if pos+1 >= len(data) {
				return 0, errTruncated
			}
			if next := data[pos+1]; data[pos] == 0xff && next != 0 && next != 0xff && (next < 0xd0 || next > 0xd7) {
				break
			}
		}
	}
}
