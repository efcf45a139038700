// Command benchcompare trains the default network for one epoch with our
// trainer and with the PyTorch reference (shared/bench/torch_ref.py) in the
// same run, on the same machine, and prints both figures and their ratio.
//
//	go run ./ml/internal/benchcompare [-data DIR] [-epochs N] [-torch PATH] [-limit N]
//
// It needs Debian's PyTorch for the reference (apt-get install python3-torch);
// without it, it prints our figures only.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/train"
)

func main() {
	dataDir := flag.String("data", "../shared/data/fashion-mnist", "folder with the four Fashion-MNIST IDX .gz files")
	torchRef := flag.String("torch", "../shared/bench/torch_ref.py", "the PyTorch reference script")
	python := flag.String("python", "/usr/bin/python3", "python with torch")
	epochs := flag.Int("epochs", 1, "epochs for both")
	limit := flag.Int("limit", 0, "use only the first N training images (0: all)")
	flag.Parse()
	if err := run(*dataDir, *torchRef, *python, *epochs, *limit, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

type figures struct {
	trainIPS, inferIPS, accuracy, seconds float64
	peakRSS                               int64 // bytes
}

func run(dataDir, torchRef, python string, epochs, limit int, out io.Writer) error {
	fmt.Fprintf(out, "machine: %s, %d cores (GOMAXPROCS %d)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	ours, err := runOurs(dataDir, epochs, limit)
	if err != nil {
		return err
	}
	theirs, torchErr := runTorch(python, torchRef, dataDir, epochs, limit)

	fmt.Fprintf(out, "\n%-22s %14s %14s %12s %10s\n", "", "train img/s", "infer img/s", "test acc", "peak RSS")
	row := func(name string, f figures) {
		fmt.Fprintf(out, "%-22s %14.0f %14.0f %12.4f %9.0fM\n", name, f.trainIPS, f.inferIPS, f.accuracy, float64(f.peakRSS)/(1<<20))
	}
	row("ours (Go, gorgonia)", ours)
	if torchErr != nil {
		fmt.Fprintf(out, "PyTorch reference: not measured: %v\n", torchErr)
		return nil
	}
	row("PyTorch reference", theirs)
	fmt.Fprintf(out, "%-22s %13.2fx %13.2fx\n", "ratio ours / PyTorch", ours.trainIPS/theirs.trainIPS, ours.inferIPS/theirs.inferIPS)
	return nil
}

// runOurs trains in this process, the way `fmnist train` does.
func runOurs(dataDir string, epochs, limit int) (figures, error) {
	ds, err := data.LoadDataset(dataDir)
	if err != nil {
		return figures{}, err
	}
	cfg := fmnist.DefaultConfig()
	cfg.Epochs, cfg.TrainLimit = epochs, limit
	tmp, err := os.MkdirTemp("", "benchcompare-")
	if err != nil {
		return figures{}, err
	}
	defer os.RemoveAll(tmp)

	// Nobody watches the events here; drain them so they do not pile up.
	box := new(fmnist.Mailbox)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-box.Ready():
				box.Drain()
			case <-done:
				return
			}
		}
	}()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := train.Run(context.Background(), ds, cfg, train.Options{CheckpointDir: tmp, Logger: quiet}, box)
	close(done)
	if err != nil {
		return figures{}, err
	}
	model, err := train.LoadModel(res.CheckpointPath)
	if err != nil {
		return figures{}, err
	}
	defer model.Close()
	start := time.Now()
	if _, err := train.Evaluate(model.Net, &ds.Test); err != nil {
		return figures{}, err
	}
	infer := float64(ds.Test.Count) / time.Since(start).Seconds()
	return figures{trainIPS: res.ImagesPerSec, inferIPS: infer, accuracy: res.TestAccuracy, seconds: res.Seconds,
		peakRSS: selfPeakRSS()}, nil
}

var torchEpoch = regexp.MustCompile(`train (\d+) img/s .* test_acc ([0-9.]+) infer (\d+) img/s`)

// runTorch runs the reference and averages its epochs' figures.
func runTorch(python, script, dataDir string, epochs, limit int) (figures, error) {
	if _, err := os.Stat(script); err != nil {
		return figures{}, err
	}
	args := []string{script, dataDir, "--epochs", strconv.Itoa(epochs)}
	if limit > 0 {
		args = append(args, "--limit", strconv.Itoa(limit))
	}
	cmd := exec.Command(python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outBytes, err := cmd.Output()
	if err != nil {
		return figures{}, fmt.Errorf("%s: %w: %s", python, err, strings.TrimSpace(lastLine(stderr.String())))
	}
	var f figures
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(outBytes))
	for sc.Scan() {
		m := torchEpoch.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		train, _ := strconv.ParseFloat(m[1], 64)
		acc, _ := strconv.ParseFloat(m[2], 64)
		infer, _ := strconv.ParseFloat(m[3], 64)
		f.trainIPS += train
		f.inferIPS += infer
		f.accuracy = acc
		n++
	}
	if n == 0 {
		return figures{}, fmt.Errorf("no epoch line in the reference's output: %q", string(outBytes))
	}
	f.trainIPS /= float64(n)
	f.inferIPS /= float64(n)
	f.peakRSS = childPeakRSS(cmd.ProcessState)
	return f, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
