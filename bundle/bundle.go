package bundle

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/export"
	"github.com/fmnist/trainer/ml/nn"
)

// The entries of a bundle.
const (
	FileManifest  = "run.json"
	FileWeights   = "model.safetensors"
	FileOptimizer = "optimizer.safetensors"
	FileLoss      = "loss.csv"
	FileEpochs    = "epochs.csv"
	FileConfusion = "confusion.csv"
	FileReadme    = "README.txt"
)

// Ext is a bundle file's extension.
const Ext = ".fmnist"

// Limits on what Read accepts. The network is 1.7 MB of weights; a long
// run's curve a few MB of CSV.
const (
	MaxBytes             = 32 << 20 // the bundle file itself
	MaxUncompressedBytes = 64 << 20 // all entries together
	MaxEntries           = 8
)

// entryLimits is the largest each entry may be uncompressed; a name not
// here is not part of a bundle.
var entryLimits = map[string]int64{
	FileManifest:  64 << 10,
	FileWeights:   8 << 20,
	FileOptimizer: 16 << 20,
	FileLoss:      32 << 20,
	FileEpochs:    1 << 20,
	FileConfusion: 64 << 10,
	FileReadme:    64 << 10,
}

// required are the entries every bundle has.
var required = []string{FileManifest, FileWeights, FileOptimizer, FileLoss, FileEpochs}

// Bundle is a run as it travels: its manifest, model and history.
type Bundle struct {
	Manifest Manifest
	Weights  []nn.Param // in nn.Network.Params order
	Adam     nn.AdamState
	Loss     []fmnist.LossPoint
	Epochs   []fmnist.EpochResult
	// Confusion is the last epoch's confusion matrix (rows: true class,
	// columns: predicted), nil when the run has none.
	Confusion [][]int
}

// optimizerNames are the tensor names of Adam's moments of parameter p in
// optimizer.safetensors, as PyTorch's Adam calls them.
func optimizerNames(p string) (m, v string) { return "exp_avg." + p, "exp_avg_sq." + p }

// Write writes b as a zip to w.
func Write(w io.Writer, b Bundle) error {
	manifest, err := json.MarshalIndent(b.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("bundle: run.json: %w", err)
	}
	weights, err := export.EncodeSafetensors(b.Weights, map[string]string{
		"architecture": b.Manifest.Architecture, "run_id": fmt.Sprint(b.Manifest.RunID), "format": "pt"})
	if err != nil {
		return fmt.Errorf("bundle: weights: %w", err)
	}
	opt, err := export.EncodeSafetensors(optimizerTensors(b.Weights, b.Adam), map[string]string{"optimizer": "adam"})
	if err != nil {
		return fmt.Errorf("bundle: optimizer: %w", err)
	}
	entries := []struct {
		name string
		data []byte
	}{
		{FileReadme, []byte(readme(b))},
		{FileManifest, append(manifest, '\n')},
		{FileWeights, weights},
		{FileOptimizer, opt},
		{FileLoss, lossCSV(b.Loss)},
		{FileEpochs, epochsCSV(b.Epochs)},
	}
	if b.Confusion != nil {
		entries = append(entries, struct {
			name string
			data []byte
		}{FileConfusion, confusionCSV(b.Confusion)})
	}
	zw := zip.NewWriter(w)
	for _, e := range entries {
		// The fixed time keeps two exports of one run byte-identical.
		method := zip.Deflate
		if strings.HasSuffix(e.name, ".safetensors") {
			method = zip.Store // trained float32 weights barely compress, and deflate is slow on them
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method, Modified: b.Manifest.EndedAt})
		if err != nil {
			return fmt.Errorf("bundle: %s: %w", e.name, err)
		}
		if _, err := f.Write(e.data); err != nil {
			return fmt.Errorf("bundle: %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

func optimizerTensors(weights []nn.Param, adam nn.AdamState) []nn.Param {
	var out []nn.Param
	for i, p := range weights {
		if i >= len(adam.M) || i >= len(adam.V) {
			break
		}
		m, v := optimizerNames(p.Name)
		out = append(out, nn.Param{Name: m, Shape: p.Shape, Data: adam.M[i]}, nn.Param{Name: v, Shape: p.Shape, Data: adam.V[i]})
	}
	return out
}

// ErrNotABundle is what a file that is not a zip gives.
var ErrNotABundle = errors.New("not a .fmnist bundle (a zip file); import takes the file that Export bundle writes")

// Network says which network a manifest's config builds: its architecture
// name and its parameters' names and shapes.
type Network func(m Manifest) (architecture string, params []export.Spec, err error)

// Fixed is the Network of one architecture whatever the manifest says.
func Fixed(architecture string, params []export.Spec) Network {
	return func(Manifest) (string, []export.Spec, error) { return architecture, params, nil }
}

// Read reads and checks a bundle whose weights must fit the network its
// manifest's config builds (network). Every problem is one error saying
// what is wrong; nothing is allocated from sizes a file merely declares.
func Read(data []byte, network Network) (Bundle, error) {
	if len(data) > MaxBytes {
		return Bundle{}, fmt.Errorf("the file is %d bytes, over the %d-byte limit of a bundle", len(data), MaxBytes)
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return Bundle{}, ErrNotABundle
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Bundle{}, fmt.Errorf("the zip cannot be read (truncated or damaged?): %w", err)
	}
	files, err := readEntries(zr)
	if err != nil {
		return Bundle{}, err
	}
	var b Bundle
	if b.Manifest, err = decodeManifest(files[FileManifest]); err != nil {
		return Bundle{}, err
	}
	arch, want, err := network(b.Manifest)
	if err != nil {
		return Bundle{}, fmt.Errorf("run.json: %w", err)
	}
	if b.Manifest.Architecture != arch {
		return Bundle{}, fmt.Errorf("run.json: architecture %q is not the network its config builds (%q)", b.Manifest.Architecture, arch)
	}
	if b.Weights, _, err = export.DecodeSafetensors(files[FileWeights], want); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", FileWeights, err)
	}
	var optWant []export.Spec
	for _, s := range want {
		m, v := optimizerNames(s.Name)
		optWant = append(optWant, export.Spec{Name: m, Shape: s.Shape}, export.Spec{Name: v, Shape: s.Shape})
	}
	moments, _, err := export.DecodeSafetensors(files[FileOptimizer], optWant)
	if err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", FileOptimizer, err)
	}
	o := b.Manifest.Model.Optimizer
	b.Adam = nn.AdamState{Optimizer: o.Name, Step: o.Step, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps}
	for i := 0; i < len(moments); i += 2 {
		b.Adam.M = append(b.Adam.M, moments[i].Data)
		b.Adam.V = append(b.Adam.V, moments[i+1].Data)
	}
	if b.Loss, err = parseLossCSV(files[FileLoss]); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", FileLoss, err)
	}
	if b.Epochs, err = parseEpochsCSV(files[FileEpochs]); err != nil {
		return Bundle{}, fmt.Errorf("%s: %w", FileEpochs, err)
	}
	if c, ok := files[FileConfusion]; ok {
		if b.Confusion, err = parseConfusionCSV(c); err != nil {
			return Bundle{}, fmt.Errorf("%s: %w", FileConfusion, err)
		}
	}
	return b, nil
}

// readEntries reads every entry of zr after checking its name, count and
// size, and that the entries a bundle needs are there.
func readEntries(zr *zip.Reader) (map[string][]byte, error) {
	if len(zr.File) > MaxEntries {
		return nil, fmt.Errorf("the zip has %d entries; a bundle has at most %d", len(zr.File), MaxEntries)
	}
	files := make(map[string][]byte, len(zr.File))
	var total int64
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		limit, ok := entryLimits[f.Name]
		if !ok {
			return nil, fmt.Errorf("the zip holds %q, which is not part of a bundle", f.Name)
		}
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("the zip holds %s twice", f.Name)
		}
		if f.UncompressedSize64 > uint64(limit) {
			return nil, fmt.Errorf("%s declares %d bytes uncompressed, over its %d-byte limit (a zip bomb?)", f.Name, f.UncompressedSize64, limit)
		}
		data, err := readEntry(f, limit)
		if err != nil {
			return nil, err
		}
		total += int64(len(data))
		if total > MaxUncompressedBytes {
			return nil, fmt.Errorf("the entries hold more than %d bytes uncompressed (a zip bomb?)", MaxUncompressedBytes)
		}
		files[f.Name] = data
	}
	for _, name := range required {
		if _, ok := files[name]; !ok {
			return nil, fmt.Errorf("the zip lacks %s", name)
		}
	}
	return files, nil
}

// readEntry reads f, refusing it once it gives more than limit bytes,
// whatever its header declared.
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s cannot be opened: %w", f.Name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read (truncated or damaged?): %w", f.Name, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%s unpacks to more than its %d-byte limit (a zip bomb?)", f.Name, limit)
	}
	return buf.Bytes(), nil
}

// checkName refuses entry names that leave the bundle's one flat folder.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, `/\:`) || strings.Contains(name, "..") || strings.ContainsRune(name, 0) {
		return fmt.Errorf("the zip has an entry named %q: a path outside the bundle's one folder is refused", name)
	}
	return nil
}
