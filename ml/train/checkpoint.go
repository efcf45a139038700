package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/nn"
)

const (
	checkpointExt   = ".ckpt"
	checkpointMagic = "FMNISTCK"
	// CheckpointVersion is the format version this code writes. It also
	// reads version 1 (weights only), for predictions.
	CheckpointVersion = 2
	// checkpointVersionWeightsOnly is the first format: no optimiser state,
	// no data position, so a run cannot continue from it.
	checkpointVersionWeightsOnly = 1
	checkpointDType              = "float32"
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
	// From version 2: the run's configuration and how far it had got, which
	// with the optimiser state let a run continue exactly (see Resumable).
	Config   *fmnist.Config `json:"config,omitempty"`
	Position *Position      `json:"position,omitempty"`
}

// Position is how far a run had got through its data when a checkpoint was
// taken: Meta.Epoch and Meta.Batch say where, and the order of epoch e is
// data.Shuffle(TrainImages, Config.Seed, e), so a run continued from here
// takes the same batches in the same order. The running sums of the epoch
// in progress let it report the same epoch loss and loss points too.
type Position struct {
	TrainImages     int     `json:"train_images"`      // images per epoch: the data order's n
	EpochLossSum    float64 `json:"epoch_loss_sum"`    // Σ batch loss × batch size over the epoch's batches done
	EpochImages     int     `json:"epoch_images"`      // images of the epoch's batches done
	IntervalLossSum float64 `json:"interval_loss_sum"` // Σ batch loss since the last loss point
	IntervalBatches int     `json:"interval_batches"`  // batches since the last loss point
	// LRScale is the scale a live learning-rate change set on the schedule
	// (0: none), which a resumed run keeps (Options.LRScale).
	LRScale float64 `json:"lr_scale,omitempty"`
}

// checkpointOptimizer describes the optimiser state in a version-2 payload.
type checkpointOptimizer struct {
	Name  string  `json:"name"` // "adam"
	Step  int     `json:"step"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
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
	// Optimizer is set from version 2 on; its moments follow the weights
	// in the payload.
	Optimizer *checkpointOptimizer `json:"optimizer,omitempty"`
}

// Checkpoint is a checkpoint file read from disk whose magic, version,
// architecture, dtype and checksums have all been verified.
//
// # File format, version 2
//
// A checkpoint holds the weights of one nn.Network, the state of its Adam
// optimiser and a little metadata about the run that produced it, enough to
// continue that run exactly. All integers are little-endian.
//
//	offset  size  field
//	0       8     magic "FMNISTCK"
//	8       4     format version, uint32 (2; 1 is still read)
//	12      4     header length H, uint32 (at most 1 MiB)
//	16      4     CRC-32C (Castagnoli) of the header bytes, uint32
//	20      H     header, a UTF-8 JSON object (see checkpointHeader):
//	                architecture   must equal nn.Architecture
//	                dtype          "float32"
//	                params         [{name, shape}] in nn.Network.Params order
//	                payload_bytes  length of the payload
//	                payload_sha256 hex SHA-256 of the payload
//	                meta           run_id, epoch, batch, test_accuracy, saved_at,
//	                               config, position (see Position)
//	                optimizer      name "adam", step, beta1, beta2, eps
//	20+H    P     payload: every parameter's values as little-endian IEEE-754
//	              float32, parameters in header order, each row-major; then
//	              Adam's first moments in the same layout, then its second
//	              moments
//
// Version 1 is the same without optimizer, config and position, and with
// the weights alone in the payload: it loads for predictions, but a run
// cannot continue from it.
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
	Path    string
	Version int
	Meta    CheckpointMeta
	Params  []nn.Param    // copies, not tied to any network
	Adam    *nn.AdamState // nil in version 1
}

// Model is a network restored from a checkpoint, ready for predictions.
type Model struct {
	Net  *nn.Network
	Meta CheckpointMeta
	Path string
}

// TTA reports whether the model's run evaluated with flip test-time
// augmentation, which its predictions should use too.
func (m *Model) TTA() bool { return m.Meta.Config != nil && m.Meta.Config.TTA }

// Close releases the model's network.
func (m *Model) Close() {
	if m != nil && m.Net != nil {
		m.Net.Close()
	}
}

// SaveCheckpoint writes net's weights and optimiser state and meta to path
// atomically. A run can continue from it when meta has Config and Position.
func SaveCheckpoint(path string, net *nn.Network, meta CheckpointMeta) error {
	if meta.SavedAt.IsZero() {
		meta.SavedAt = time.Now().UTC()
	}
	adam := net.AdamState()
	return WriteCheckpoint(path, net.Params(), &adam, meta)
}

// WriteCheckpoint writes params, the optimiser state adam (nil: a
// weights-only, version-1 checkpoint) and meta to path atomically: what
// SaveCheckpoint writes of a live network, from values read elsewhere (an
// imported bundle).
func WriteCheckpoint(path string, params []nn.Param, adam *nn.AdamState, meta CheckpointMeta) error {
	if meta.SavedAt.IsZero() {
		meta.SavedAt = time.Now().UTC()
	}
	data, err := encodeCheckpoint(params, adam, meta)
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
// payload's checksum. Without adam it writes version 1 (weights only),
// which only tests still need.
func encodeCheckpoint(params []nn.Param, adam *nn.AdamState, meta CheckpointMeta) ([]byte, error) {
	version := uint32(CheckpointVersion)
	spec, err := specOfParams(params)
	if err != nil {
		return nil, err
	}
	header := checkpointHeader{Architecture: spec.Architecture(), DType: checkpointDType, Meta: meta}
	if adam == nil {
		version = checkpointVersionWeightsOnly
		header.Meta.Config, header.Meta.Position = nil, nil
	} else {
		header.Optimizer = &checkpointOptimizer{Name: adam.OptimizerName(), Step: adam.Step, Beta1: adam.Beta1, Beta2: adam.Beta2, Eps: adam.Eps}
		if len(adam.M) != len(params) || len(adam.V) != len(params) {
			return nil, fmt.Errorf("optimiser state has %d and %d moments for %d parameters", len(adam.M), len(adam.V), len(params))
		}
	}
	var total int64
	for i, p := range params {
		if n := shapeSize(p.Shape); n != len(p.Data) {
			return nil, fmt.Errorf("parameter %s: shape %v holds %d values but there are %d", p.Name, p.Shape, n, len(p.Data))
		}
		if adam != nil && (len(adam.M[i]) != len(p.Data) || len(adam.V[i]) != len(p.Data)) {
			return nil, fmt.Errorf("parameter %s: %d values but %d and %d moments", p.Name, len(p.Data), len(adam.M[i]), len(adam.V[i]))
		}
		header.Params = append(header.Params, checkpointParam{Name: p.Name, Shape: slices.Clone(p.Shape)})
		total += int64(len(p.Data))
	}
	blocks := [][][]float32{make([][]float32, len(params))}
	for i, p := range params {
		blocks[0][i] = p.Data
	}
	if adam != nil {
		blocks = append(blocks, adam.M, adam.V)
	}
	payload := make([]byte, 0, total*4*int64(len(blocks)))
	for _, block := range blocks {
		for _, values := range block {
			for _, v := range values {
				payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
			}
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
	out = binary.LittleEndian.AppendUint32(out, version)
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
	version := int(binary.LittleEndian.Uint32(data[8:]))
	if version != CheckpointVersion && version != checkpointVersionWeightsOnly {
		return nil, fmt.Errorf("format version %d is not supported (this program reads versions %d and %d)", version, checkpointVersionWeightsOnly, CheckpointVersion)
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
	if header.DType != checkpointDType {
		return nil, fmt.Errorf("dtype %q does not match %q", header.DType, checkpointDType)
	}
	blocks := int64(1) // the weights; version 2 adds Adam's two moments
	switch {
	case version == checkpointVersionWeightsOnly && (header.Optimizer != nil || header.Meta.Config != nil || header.Meta.Position != nil):
		return nil, errors.New("a version-1 header has no optimizer, config or position")
	case version == CheckpointVersion && header.Optimizer == nil:
		return nil, errors.New("a version-2 header lacks its optimizer")
	case version == CheckpointVersion && !slices.Contains([]string{nn.OptimizerAdam, nn.OptimizerAdamW, nn.OptimizerSGD}, header.Optimizer.Name):
		return nil, fmt.Errorf("optimizer %q is not adam, adamw or sgd", header.Optimizer.Name)
	case version == CheckpointVersion:
		blocks = 3
	}
	var values int64
	for _, p := range header.Params {
		n := shapeSize(p.Shape)
		if n <= 0 {
			return nil, fmt.Errorf("parameter %s has invalid shape %v", p.Name, p.Shape)
		}
		values += int64(n)
		if blocks*values*4 > maxCheckpointPayload {
			return nil, fmt.Errorf("parameters exceed the %d-byte payload limit", maxCheckpointPayload)
		}
	}
	shapes := make([]nn.Param, len(header.Params))
	for i, p := range header.Params {
		shapes[i] = nn.Param{Name: p.Name, Shape: p.Shape}
	}
	spec, err := specOfParams(shapes)
	if err != nil {
		return nil, fmt.Errorf("architecture %q: %w", header.Architecture, err)
	}
	if header.Architecture != spec.Architecture() {
		return nil, fmt.Errorf("architecture %q does not match %q", header.Architecture, spec.Architecture())
	}
	if header.PayloadBytes != blocks*values*4 {
		return nil, fmt.Errorf("payload length %d does not match the %d bytes the parameter shapes need", header.PayloadBytes, blocks*values*4)
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

	ck := &Checkpoint{Version: version, Meta: header.Meta, Params: make([]nn.Param, len(header.Params))}
	offset := 0
	next := func(p checkpointParam) []float32 {
		values := make([]float32, shapeSize(p.Shape))
		for j := range values {
			values[j] = math.Float32frombits(binary.LittleEndian.Uint32(payload[offset:]))
			offset += 4
		}
		return values
	}
	for i, p := range header.Params {
		ck.Params[i] = nn.Param{Name: p.Name, Shape: p.Shape, Data: next(p)}
	}
	if o := header.Optimizer; o != nil {
		ck.Adam = &nn.AdamState{Optimizer: o.Name, Step: o.Step, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}
		for _, p := range header.Params {
			ck.Adam.M = append(ck.Adam.M, next(p))
		}
		for _, p := range header.Params {
			ck.Adam.V = append(ck.Adam.V, next(p))
		}
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
	spec, err := specOfParams(ck.Params)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	net, err := nn.NewNetworkSpec(0, spec)
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

// tempInfix marks the temporary file of an atomic write: .NAME.tmp-RANDOM.
const tempInfix = ".tmp-"

// RemoveStaleTemps removes from dir the temporary files of checkpoint
// writes that never finished (the process was killed midway) and returns
// their names. Call it only while nothing writes checkpoints to dir. A dir
// that does not exist holds none.
func RemoveStaleTemps(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, ".") || !strings.Contains(name, checkpointExt+tempInfix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove stale temporary file: %w", err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// writeFileAtomic writes a file through write so that path holds either its
// old content or the complete new one, never a mix, even after a crash: a
// temporary file in the same directory is written, synced and renamed over
// path, then the directory is synced so the rename itself is durable. The
// file is private (0600), as os.CreateTemp makes it.
// (natefinch/atomic does the same but skips the directory sync.)
// Its errors name the step but no path: the caller names path, and the
// temporary file's name would only repeat it.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("create a temporary file: %w", withoutPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write the temporary file: %w", withoutPath(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync the temporary file: %w", withoutPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close the temporary file: %w", withoutPath(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename into place: %w", withoutPath(err))
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open the directory to sync it: %w", withoutPath(err))
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync the directory: %w", withoutPath(err))
	}
	return nil
}

// withoutPath is the cause inside an *fs.PathError or *os.LinkError (what
// the os package returns), without the path it names; any other error is
// returned as it is. errors.Is still finds the cause (ENOSPC and the like).
func withoutPath(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return e.Err
	case *os.LinkError:
		return e.Err
	}
	return err
}
