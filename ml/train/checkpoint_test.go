package train

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
)

// trainedNetwork returns a network that has taken a few steps on ds, so its
// weights differ from any freshly initialised one.
func trainedNetwork(t *testing.T, ds *data.Dataset, seed int64) *nn.Network {
	return partlyTrainedNetwork(t, ds, seed, 5)
}

// partlyTrainedNetwork returns a network after steps training steps on ds.
func partlyTrainedNetwork(t *testing.T, ds *data.Dataset, seed int64, steps int) *nn.Network {
	t.Helper()
	net, err := nn.NewNetwork(seed, 1e-3)
	if err != nil {
		t.Fatalf("nn.NewNetwork: %v", err)
	}
	t.Cleanup(net.Close)
	const batch = 32
	x := make([]float32, batch*data.ImageSize)
	labels := make([]uint8, batch)
	for step := range steps {
		idx := make([]int, batch)
		for i := range idx {
			idx[i] = (step*batch + i) % ds.Train.Count
			labels[i] = ds.Train.Labels[idx[i]]
		}
		ds.Train.Normalize(x, idx)
		if _, err := net.TrainStep(x, labels); err != nil {
			t.Fatalf("TrainStep: %v", err)
		}
	}
	return net
}

func TestCheckpointRoundTripGivesIdenticalPredictions(t *testing.T) {
	ds := loadSynthetic(t, 200, 50)
	net := trainedNetwork(t, ds, 5)
	path := filepath.Join(t.TempDir(), "model.ckpt")
	meta := CheckpointMeta{RunID: "r1", Epoch: 2, Batch: 7, TestAccuracy: 0.875, SavedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := SaveCheckpoint(path, net, meta); err != nil {
		t.Fatalf("SaveCheckpoint: %v", err)
	}
	m, err := LoadModel(path)
	if err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	defer m.Close()
	if m.Meta != meta || m.Path != path {
		t.Errorf("meta %+v at %s, want %+v at %s", m.Meta, m.Path, meta, path)
	}
	want, got := net.Params(), m.Net.Params()
	for i := range want {
		if want[i].Name != got[i].Name || !slices.Equal(want[i].Data, got[i].Data) {
			t.Errorf("parameter %s differs after the round trip", want[i].Name)
		}
	}
	all := make([]int, ds.Test.Count)
	for i := range all {
		all[i] = i
	}
	before, err := PredictIndices(net, &ds.Test, all)
	if err != nil {
		t.Fatal(err)
	}
	after, err := PredictIndices(m.Net, &ds.Test, all)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Errorf("predictions differ after save and load")
	}
}

// rewriteHeader returns a copy of a checkpoint file whose JSON header was
// changed by edit, with the header length and CRC fixed up so that only the
// edited field is wrong.
func rewriteHeader(t *testing.T, file []byte, edit func(h *checkpointHeader)) []byte {
	t.Helper()
	headerLen := binary.LittleEndian.Uint32(file[12:])
	var h checkpointHeader
	if err := json.Unmarshal(file[checkpointPrefixLen:checkpointPrefixLen+headerLen], &h); err != nil {
		t.Fatal(err)
	}
	edit(&h)
	headerJSON, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(file[:8+4])
	out = binary.LittleEndian.AppendUint32(out, uint32(len(headerJSON)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(headerJSON, castagnoli))
	out = append(out, headerJSON...)
	return append(out, file[checkpointPrefixLen+headerLen:]...)
}

func TestCheckpointRefusesDamagedOrForeignFiles(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	net := trainedNetwork(t, ds, 1)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	if err := SaveCheckpoint(good, net, CheckpointMeta{RunID: "x"}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	headerLen := int(binary.LittleEndian.Uint32(file[12:]))
	flip := func(at int) []byte {
		b := slices.Clone(file)
		b[at] ^= 0x40
		return b
	}
	version3 := slices.Clone(file)
	binary.LittleEndian.PutUint32(version3[8:], 3)
	// A version-2 file relabelled as version 1 (weights only) must not be
	// read as weights followed by stray bytes.
	relabelled := slices.Clone(file)
	binary.LittleEndian.PutUint32(relabelled[8:], 1)

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"flipped payload byte", flip(len(file) - 1000), "payload checksum mismatch"},
		{"flipped header byte", flip(checkpointPrefixLen + headerLen/2), "header checksum mismatch"},
		{"truncated payload", file[:len(file)-10], "truncated: payload"},
		{"truncated header", file[:checkpointPrefixLen+10], "truncated: header"},
		{"truncated prefix", file[:6], "truncated"},
		{"empty file", nil, "truncated"},
		{"trailing bytes", append(slices.Clone(file), 0, 0, 0, 0), "unexpected bytes after the payload"},
		{"wrong magic", append([]byte("GGUFxxxx"), file[8:]...), `magic "GGUFxxxx" does not match "FMNISTCK"`},
		{"wrong version", version3, "format version 3 is not supported"},
		{"version 1 with an optimizer", relabelled, "a version-1 header has no optimizer"},
		{"version 2 without its optimizer", rewriteHeader(t, file, func(h *checkpointHeader) { h.Optimizer = nil }), "lacks its optimizer"},
		{"wrong architecture", rewriteHeader(t, file, func(h *checkpointHeader) { h.Architecture = "foo" }),
			`architecture "foo" does not match "` + nn.Architecture + `"`},
		{"wrong dtype", rewriteHeader(t, file, func(h *checkpointHeader) { h.DType = "float64" }), `dtype "float64" does not match "float32"`},
		{"payload length lies", rewriteHeader(t, file, func(h *checkpointHeader) { h.PayloadBytes -= 4 }), "payload length"},
		{"shape without values", rewriteHeader(t, file, func(h *checkpointHeader) { h.Params[0].Shape = []int{0} }), "invalid shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".ckpt")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := LoadModel(path)
			if err == nil {
				m.Close()
				t.Fatalf("LoadModel accepted a file with %s", tt.name)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want it to name the file and say %q", err, tt.want)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := LoadModel(filepath.Join(dir, "nope.ckpt"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want one wrapping os.ErrNotExist", err)
		}
	})
}

func TestCheckpointShapeMismatchLeavesNetworkUntouched(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	source := trainedNetwork(t, ds, 1)
	target := trainedNetwork(t, ds, 2)
	path := filepath.Join(t.TempDir(), "a.ckpt")
	if err := SaveCheckpoint(path, source, CheckpointMeta{}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Flatten the last parameter: the file stays self-consistent (same
	// number of values, valid checksums) but no longer fits the network, and
	// the mismatch is found only after every other parameter matched.
	reshaped := rewriteHeader(t, file, func(h *checkpointHeader) {
		last := &h.Params[len(h.Params)-1]
		last.Shape = []int{shapeSize(last.Shape)}
		if len(source.Params()[len(h.Params)-1].Shape) == 1 {
			last.Shape = []int{1, last.Shape[0]}
		}
	})
	if err := os.WriteFile(path, reshaped, 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatalf("ReadCheckpoint of a self-consistent file: %v", err)
	}
	before := snapshot(target)
	err = ck.LoadInto(target)
	if err == nil || !strings.Contains(err.Error(), "has shape") {
		t.Fatalf("LoadInto error %v, want a shape mismatch", err)
	}
	if !slices.EqualFunc(before, snapshot(target), slices.Equal) {
		t.Errorf("a refused checkpoint changed the network's weights")
	}
	if _, err := LoadModel(path); err == nil || !strings.Contains(err.Error(), "has shape") {
		t.Errorf("LoadModel error %v, want a shape mismatch", err)
	}
}

func snapshot(net *nn.Network) [][]float32 {
	var out [][]float32
	for _, p := range net.Params() {
		out = append(out, slices.Clone(p.Data))
	}
	return out
}

func TestCheckpointFailedWriteKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	if err := os.WriteFile(path, []byte("old complete content"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write([]byte("half of the new")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("writeFileAtomic error %v, want the writer's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old complete content" {
		t.Errorf("final name holds %q after a failed write", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want only the old file (no temporary left)", len(entries))
	}
}

// TestRemoveStaleTemps removes what a write cut short leaves (its temporary
// file, named as writeFileAtomic names it) and nothing else.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	var stale string
	err := writeFileAtomic(filepath.Join(dir, "run-2-e03.ckpt"), func(w io.Writer) error {
		// A kill now would leave the temporary file: keep a copy of it.
		stale = filepath.Base(w.(*os.File).Name()) + "-copy"
		return os.Link(w.(*os.File).Name(), filepath.Join(dir, stale))
	})
	if err != nil {
		t.Fatal(err)
	}
	others := []string{"run-2-e03.ckpt", ".hidden", "run-1.ckpt.tmp-not-hidden"}
	for _, name := range others[1:] {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStaleTemps(dir)
	if err != nil || !slices.Equal(removed, []string{stale}) {
		t.Errorf("RemoveStaleTemps = %v, %v; want [%s]", removed, err, stale)
	}
	for _, name := range others {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s should stay: %v", name, err)
		}
	}
	if removed, err := RemoveStaleTemps(filepath.Join(dir, "missing")); err != nil || removed != nil {
		t.Errorf("a missing dir: %v, %v; want nothing and no error", removed, err)
	}
}

// TestCheckpointErrorsNameThePathOnce provokes failures of the steps of
// writing a checkpoint: each error names the checkpoint's path once, and
// not the temporary file's path on top (which repeats the folder).
func TestCheckpointErrorsNameThePathOnce(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	net := trainedNetwork(t, ds, 1)
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	occupied := filepath.Join(dir, "occupied.ckpt")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(occupied, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	checkOnce := func(what, msg, folder string) {
		t.Helper()
		if n := strings.Count(msg, folder); n != 1 {
			t.Errorf("%s: the error names %s %d times, want once: %s", what, folder, n, msg)
		}
	}

	// The folder is a file: the temporary file cannot be created.
	path := filepath.Join(notADir, "run-1.ckpt")
	err := SaveCheckpoint(path, net, CheckpointMeta{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("saving into a file's path: error %v, want one naming %s", err, path)
	}
	checkOnce("a folder that is a file", err.Error(), notADir)

	// A folder is in the way: renaming into place fails.
	err = SaveCheckpoint(occupied, net, CheckpointMeta{})
	if err == nil || !strings.Contains(err.Error(), occupied) {
		t.Fatalf("saving over a folder: error %v, want one naming %s", err, occupied)
	}
	checkOnce("a folder in the way", err.Error(), occupied)

	// Writing fails as the os package reports it, with the file's path.
	err = writeFileAtomic(filepath.Join(dir, "run-2.ckpt"), func(w io.Writer) error {
		f := w.(*os.File)
		f.Close()
		_, err := f.Write([]byte("weights"))
		return err
	})
	if !errors.Is(err, os.ErrClosed) {
		t.Fatalf("a failed write: error %v, want os.ErrClosed inside", err)
	}
	if strings.Contains(err.Error(), dir) {
		t.Errorf("writeFileAtomic names a path (its caller does): %v", err)
	}
}

func TestCheckpointReadersNeverSeeAPartialFile(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	net := trainedNetwork(t, ds, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	if err := SaveCheckpoint(path, net, CheckpointMeta{Epoch: 0}); err != nil {
		t.Fatal(err)
	}
	saves := 20
	if testing.Short() {
		saves = 5
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	var reads, lastEpoch int
	var readErr error
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			ck, err := ReadCheckpoint(path)
			if err != nil {
				readErr = err
				return
			}
			if ck.Meta.Epoch < lastEpoch {
				readErr = errors.New("read an older checkpoint after a newer one")
				return
			}
			lastEpoch = ck.Meta.Epoch
			reads++
		}
	})
	for i := 1; i <= saves; i++ {
		if err := SaveCheckpoint(path, net, CheckpointMeta{Epoch: i}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("a reader saw a bad checkpoint after %d good reads: %v", reads, readErr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the directory, want only the checkpoint", len(entries))
	}
	ck, err := ReadCheckpoint(path)
	if err != nil || ck.Meta.Epoch != saves {
		t.Errorf("final checkpoint epoch %v (%v), want %d", ck, err, saves)
	}
}

func TestCheckpointHeaderIsReadableJSON(t *testing.T) {
	ds := loadSynthetic(t, 100, 20)
	net := trainedNetwork(t, ds, 1)
	adam := net.AdamState()
	data, err := encodeCheckpoint(net.Params(), &adam, CheckpointMeta{RunID: "doc"})
	if err != nil {
		t.Fatal(err)
	}
	if string(data[:8]) != "FMNISTCK" || binary.LittleEndian.Uint32(data[8:]) != CheckpointVersion {
		t.Fatalf("prefix %q", data[:12])
	}
	headerLen := binary.LittleEndian.Uint32(data[12:])
	var h map[string]any
	if err := json.Unmarshal(data[checkpointPrefixLen:checkpointPrefixLen+headerLen], &h); err != nil {
		t.Fatalf("header is not JSON: %v", err)
	}
	for _, key := range []string{"architecture", "dtype", "params", "payload_bytes", "payload_sha256", "meta", "optimizer"} {
		if _, ok := h[key]; !ok {
			t.Errorf("header lacks %q", key)
		}
	}
	var values int
	for _, p := range net.Params() {
		values += len(p.Data)
	}
	// The weights, then Adam's first and second moments.
	if got := len(data) - checkpointPrefixLen - int(headerLen); got != 3*4*values {
		t.Errorf("payload is %d bytes, want 3×4 per value = %d", got, 3*4*values)
	}
}
