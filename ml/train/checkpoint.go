package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

const (
	checkpointMagic = "FMNISTCK"
	// CheckpointVersion is the format version this code writes and reads.
	CheckpointVersion = 1
	checkpointDType   = "float32"
	// checkpointPrefixLen covers magic, version, header length and header CRC.
	checkpointPrefixLen = 8 + 4 + 4 + 4
	// maxCheckpointHeader bounds what we allocate for a header read from disk.
	maxCheckpointHeader = 1 << 20
	// maxCheckpointPayload bounds the payload (1 GiB of float32) for the same reason.
	maxCheckpointPayload = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CheckpointMeta describes where a checkpoint came from.
type CheckpointMeta struct {
	RunID        string    `json:"run_id"`
	Epoch        int       `json:"epoch"`         // completed epochs, or the epoch stopped in
	Batch        int       `json:"batch"`         // batches done in Epoch when stopped; 0 at an epoch's end
	TestAccuracy float64   `json:"test_accuracy"` // 0..1 after the last evaluation; 0 if none yet
	SavedAt      time.Time `json:"saved_at"`
}

type checkpointParam struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type checkpointHeader struct {
	Architecture  string            `json:"architecture"`
	DType         string            `json:"dtype"`
	Params        []checkpointParam `json:"params"`
	PayloadBytes  int64             `json:"payload_bytes"`
	PayloadSHA256 string            `json:"payload_sha256"`
	Meta          CheckpointMeta    `json:"meta"`
}

// Checkpoint is a checkpoint file read from disk whose magic, version,
// architecture, dtype and checksums have all been verified.
//
// # File format, version 1
//
// A checkpoint holds the weights of one nn.Network plus a little metadata about
// the run that produced it. All integers are little-endian.
//
//	offset  size  field
//	0       8     magic "FMNISTCK"
//	8       4     format version, uint32 (currently 1)
//	12      4     header length H, uint32 (at most 1 MiB)
//	16      4     CRC-32C (Castagnoli) of the header bytes, uint32
//	20      H     header, a UTF-8 JSON object (see checkpointHeader):
//	                architecture   must equal nn.Architecture
//	                dtype          "float32"
//	                params         [{name, shape}] in nn.Network.Params order
//	                payload_bytes  length of the payload
//	                payload_sha256 hex SHA-256 of the payload
//	                meta           run_id, epoch, batch, test_accuracy, saved_at
//	20+H    P     payload: every parameter's values as little-endian IEEE-754
//	              float32, parameters in header order, each row-major
//
// The file ends right after the payload. The header is JSON so that a person
// (or another tool) can read it with `tail -c +21 file | head -c H`; the
// checksums make any flipped or missing byte a clear error instead of a
// quietly wrong model.
//
// Files are written atomically (temporary file in the same directory, fsync,
// rename, fsync of the directory), so a reader never sees half a checkpoint
// under the final name, even after a crash.
type Checkpoint struct {
	Path   string
	Meta   CheckpointMeta
	Params []nn.Param // copies, not tied to any network
}

// Model is a network restored from a checkpoint, ready for predictions.
type Model struct {
	Net  *nn.Network
	Meta CheckpointMeta
	Path string
}

// Close releases the model's network.
func (m *Model) Close() {
	if m != nil && m.Net != nil {
		m.Net.Close()
	}
}

// SaveCheckpoint writes net's weights and meta to path atomically.
func SaveCheckpoint(path string, net *nn.Network, meta CheckpointMeta) error {
	if meta.SavedAt.IsZero() {
		meta.SavedAt = time.Now().UTC()
	}
	data, err := encodeCheckpoint(net.Params(), meta)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// encodeCheckpoint lays out a whole checkpoint file in memory; a model is a
// few megabytes, and having the bytes first lets the header carry the
// payload's checksum.
func encodeCheckpoint(params []nn.Param, meta CheckpointMeta) ([]byte, error) {
	header := checkpointHeader{Architecture: nn.Architecture, DType: checkpointDType, Meta: meta}
	var total int64
	for _, p := range params {
		if n := shapeSize(p.Shape); n != len(p.Data) {
			return nil, fmt.Errorf("parameter %s: shape %v holds %d values but there are %d", p.Name, p.Shape, n, len(p.Data))
		}
		header.Params = append(header.Params, checkpointParam{Name: p.Name, Shape: slices.Clone(p.Shape)})
		total += int64(len(p.Data))
	}
	payload := make([]byte, 0, total*4)
	for _, p := range params {
		for _, v := range p.Data {
			payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
		}
	}
	sum := sha256.Sum256(payload)
	header.PayloadBytes = int64(len(payload))
	header.PayloadSHA256 = hex.EncodeToString(sum[:])
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	out := make([]byte, 0, checkpointPrefixLen+len(headerJSON)+len(payload))
	out = append(out, checkpointMagic...)
	out = binary.LittleEndian.AppendUint32(out, CheckpointVersion)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(headerJSON)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(headerJSON, castagnoli))
	out = append(out, headerJSON...)
	out = append(out, payload...)
	return out, nil
}

// ReadCheckpoint reads and verifies the checkpoint at path. It does not need
// a network; LoadInto checks the parameter names and shapes against one.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	ck, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	ck.Path = path
	return ck, nil
}

func decodeCheckpoint(data []byte) (*Checkpoint, error) {
	if len(data) < checkpointPrefixLen {
		return nil, fmt.Errorf("truncated: %d bytes is shorter than the %d-byte file prefix", len(data), checkpointPrefixLen)
	}
	if magic := string(data[:len(checkpointMagic)]); magic != checkpointMagic {
		return nil, fmt.Errorf("magic %q does not match %q: not a checkpoint file", magic, checkpointMagic)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != CheckpointVersion {
		return nil, fmt.Errorf("format version %d is not supported (this program reads version %d)", v, CheckpointVersion)
	}
	headerLen := int64(binary.LittleEndian.Uint32(data[12:]))
	if headerLen > maxCheckpointHeader {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", headerLen, maxCheckpointHeader)
	}
	if int64(len(data)) < checkpointPrefixLen+headerLen {
		return nil, fmt.Errorf("truncated: header needs %d bytes, file has %d after the prefix", headerLen, len(data)-checkpointPrefixLen)
	}
	headerJSON := data[checkpointPrefixLen : checkpointPrefixLen+headerLen]
	if want, got := binary.LittleEndian.Uint32(data[16:]), crc32.Checksum(headerJSON, castagnoli); want != got {
		return nil, fmt.Errorf("header checksum mismatch (CRC-32C %08x, expected %08x): file is corrupted", got, want)
	}
	var header checkpointHeader
	dec := json.NewDecoder(bytes.NewReader(headerJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if header.Architecture != nn.Architecture {
		return nil, fmt.Errorf("architecture %q does not match %q", header.Architecture, nn.Architecture)
	}
	if header.DType != checkpointDType {
		return nil, fmt.Errorf("dtype %q does not match %q", header.DType, checkpointDType)
	}
	var values int64
	for _, p := range header.Params {
		n := shapeSize(p.Shape)
		if n <= 0 {
			return nil, fmt.Errorf("parameter %s has invalid shape %v", p.Name, p.Shape)
		}
		values += int64(n)
		if values*4 > maxCheckpointPayload {
			return nil, fmt.Errorf("parameters exceed the %d-byte payload limit", maxCheckpointPayload)
		}
	}
	if header.PayloadBytes != values*4 {
		return nil, fmt.Errorf("payload length %d does not match the %d bytes the parameter shapes need", header.PayloadBytes, values*4)
	}
	payload := data[checkpointPrefixLen+headerLen:]
	if int64(len(payload)) < header.PayloadBytes {
		return nil, fmt.Errorf("truncated: payload has %d of %d bytes", len(payload), header.PayloadBytes)
	}
	if int64(len(payload)) > header.PayloadBytes {
		return nil, fmt.Errorf("%d unexpected bytes after the payload", int64(len(payload))-header.PayloadBytes)
	}
	sum := sha256.Sum256(payload)
	if got := hex.EncodeToString(sum[:]); got != header.PayloadSHA256 {
		return nil, fmt.Errorf("payload checksum mismatch (SHA-256 %s, expected %s): file is corrupted", got, header.PayloadSHA256)
	}

	ck := &Checkpoint{Meta: header.Meta, Params: make([]nn.Param, len(header.Params))}
	offset := 0
	for i, p := range header.Params {
		values := make([]float32, shapeSize(p.Shape))
		for j := range values {
			values[j] = math.Float32frombits(binary.LittleEndian.Uint32(payload[offset:]))
			offset += 4
		}
		ck.Params[i] = nn.Param{Name: p.Name, Shape: p.Shape, Data: values}
	}
	return ck, nil
}

// LoadInto copies the checkpoint's weights into net after checking that
// every parameter name and shape matches; on a mismatch net is untouched.
func (c *Checkpoint) LoadInto(net *nn.Network) error {
	live := net.Params()
	if len(live) != len(c.Params) {
		return fmt.Errorf("checkpoint %s: has %d parameters, the network has %d", c.Path, len(c.Params), len(live))
	}
	for i, p := range c.Params {
		if p.Name != live[i].Name {
			return fmt.Errorf("checkpoint %s: parameter %d is %q, the network expects %q", c.Path, i, p.Name, live[i].Name)
		}
		if !slices.Equal(p.Shape, live[i].Shape) || len(p.Data) != len(live[i].Data) {
			return fmt.Errorf("checkpoint %s: parameter %s has shape %v, the network expects %v", c.Path, p.Name, p.Shape, live[i].Shape)
		}
	}
	for i, p := range c.Params {
		copy(live[i].Data, p.Data)
	}
	return nil
}

// LoadModel reads and verifies the checkpoint at path and restores it into a
// fresh network.
func LoadModel(path string) (*Model, error) {
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	// The learning rate does not matter: the model only predicts.
	net, err := nn.NewNetwork(0, fmnist.DefaultConfig().LR)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: create network: %w", path, err)
	}
	if err := ck.LoadInto(net); err != nil {
		net.Close()
		return nil, err
	}
	return &Model{Net: net, Meta: ck.Meta, Path: path}, nil
}

func shapeSize(shape []int) int {
	if len(shape) == 0 {
		return 0
	}
	n := 1
	for _, d := range shape {
		if d <= 0 || n > math.MaxInt32/d {
			return 0
		}
		n *= d
	}
	return n
}

// writeFileAtomic writes a file through write so that path holds either its
// old content or the complete new one, never a mix, even after a crash: a
// temporary file in the same directory is written, synced and renamed over
// path, then the directory is synced so the rename itself is durable.
// (natefinch/atomic does the same but skips the directory sync.)
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The file's own errors (*fs.PathError) name it and what failed.
	if err := write(tmp); err != nil {
		return fmt.Errorf("write the temporary file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
