// Command benchcompare trains the default network with our trainer and with
// the PyTorch reference (bench/torch_ref.py) on the same machine, alternating
// ours, theirs, ours, theirs, … so that both meet the same load, and prints
// the median of the runs with their range and the ratio of the medians.
//
//	go run ./ml/internal/benchcompare [-data DIR] [-runs 3] [-epochs N] [-threads T]
//	    [-batch B] [-lr LR] [-limit N] [-torch PATH] [-python PATH]
//
// Both sides get the same thread count, batch size, learning rate, epochs,
// image limit and input standardisation, passed explicitly; the output
// states them with the CPU model, its vector extensions and the
// matrix-multiply path that ran. It needs Debian's PyTorch for the reference
// (apt-get install python3-torch); without it, it prints our figures only.
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
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/ml/nn"
	"github.com/fmnist/trainer/ml/train"
)

// settings are what both sides are told to use.
type settings struct {
	dataDir, torchRef, python string
	runs, epochs, limit       int
	threads, batch            int
	lr                        float64
}

func main() {
	var s settings
	defaults := fmnist.DefaultConfig()
	flag.StringVar(&s.dataDir, "data", "../shared/data/fashion-mnist", "folder with the four Fashion-MNIST IDX .gz files")
	flag.StringVar(&s.torchRef, "torch", "bench/torch_ref.py", "the PyTorch reference script")
	flag.StringVar(&s.python, "python", "/usr/bin/python3", "python with torch")
	flag.IntVar(&s.runs, "runs", 3, "runs of each side, alternating; the median is reported")
	flag.IntVar(&s.epochs, "epochs", 1, "epochs for both")
	flag.IntVar(&s.limit, "limit", 0, "use only the first N training images (0: all)")
	flag.IntVar(&s.threads, "threads", runtime.NumCPU(), "threads for both (GOMAXPROCS, torch.set_num_threads)")
	flag.IntVar(&s.batch, "batch", defaults.BatchSize, "batch size for both")
	flag.Float64Var(&s.lr, "lr", defaults.LR, "Adam learning rate for both")
	flag.Parse()
	if err := run(s, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

type figures struct {
	trainIPS, inferIPS, accuracy float64
	peakRSS                      int64 // bytes
}

func run(s settings, out io.Writer) error {
	if s.runs < 1 || s.threads < 1 {
		return fmt.Errorf("-runs and -threads must be at least 1")
	}
	runtime.GOMAXPROCS(s.threads)
	fmt.Fprintf(out, "machine: %s, %d cores; %s\n", cpuModel(), runtime.NumCPU(), cpuFlags())
	fmt.Fprintf(out, "ours: %s/%s, %s, matrix-multiply path %q (FMNIST_GEMM=%q)\n",
		runtime.GOOS, runtime.GOARCH, runtime.Version(), nn.KernelPath(), os.Getenv("FMNIST_GEMM"))
	fmt.Fprintf(out, "both: threads %d, batch %d, lr %g, epochs %d, training images %s, input (v/255 - %.4f) / %.4f\n",
		s.threads, s.batch, s.lr, s.epochs, limitText(s.limit), data.PixelMean, data.PixelStd)
	fmt.Fprintf(out, "runs: %d of each, alternating; loadavg at start %s\n\n", s.runs, loadAverage())

	ds, err := data.LoadDataset(s.dataDir)
	if err != nil {
		return err
	}
	var ours, theirs []figures
	var torchErr error
	for i := range s.runs {
		f, err := runOurs(ds, s)
		if err != nil {
			return err
		}
		ours = append(ours, f)
		fmt.Fprintf(out, "run %d ours:    train %6.0f img/s, infer %6.0f img/s, test acc %.4f\n", i+1, f.trainIPS, f.inferIPS, f.accuracy)
		if torchErr != nil {
			continue
		}
		f, torchErr = runTorch(s, out)
		if torchErr != nil {
			continue
		}
		theirs = append(theirs, f)
		fmt.Fprintf(out, "run %d PyTorch: train %6.0f img/s, infer %6.0f img/s, test acc %.4f\n", i+1, f.trainIPS, f.inferIPS, f.accuracy)
	}
	fmt.Fprintf(out, "loadavg at end %s\n", loadAverage())

	fmt.Fprintf(out, "\nmedian [min–max] of %d runs\n", s.runs)
	fmt.Fprintf(out, "%-20s %22s %22s %24s %10s\n", "", "train img/s", "infer img/s", "test acc", "peak RSS")
	row := func(name string, fs []figures) {
		fmt.Fprintf(out, "%-20s %22s %22s %24s %9.0fM\n", name,
			spread(fs, func(f figures) float64 { return f.trainIPS }, "%.0f"),
			spread(fs, func(f figures) float64 { return f.inferIPS }, "%.0f"),
			spread(fs, func(f figures) float64 { return f.accuracy }, "%.4f"),
			float64(slices.MaxFunc(fs, func(a, b figures) int { return int(a.peakRSS - b.peakRSS) }).peakRSS)/(1<<20))
	}
	row("ours (Go)", ours)
	if torchErr != nil {
		fmt.Fprintf(out, "PyTorch reference: not measured: %v\n", torchErr)
		return nil
	}
	row("PyTorch reference", theirs)
	trainRatio := median(ours, func(f figures) float64 { return f.trainIPS }) / median(theirs, func(f figures) float64 { return f.trainIPS })
	inferRatio := median(ours, func(f figures) float64 { return f.inferIPS }) / median(theirs, func(f figures) float64 { return f.inferIPS })
	fmt.Fprintf(out, "%-20s %21.2fx %21.2fx\n", "ratio of medians", trainRatio, inferRatio)
	return nil
}

// runOurs trains in this process, the way `fmnist train` does. Peak RSS
// is the process's so far: it includes earlier runs and the dataset.
func runOurs(ds *data.Dataset, s settings) (figures, error) {
	cfg := fmnist.DefaultConfig()
	cfg.Epochs, cfg.TrainLimit, cfg.BatchSize, cfg.LR = s.epochs, s.limit, s.batch, s.lr
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
	return figures{trainIPS: res.ImagesPerSec, inferIPS: infer, accuracy: res.TestAccuracy,
		peakRSS: selfPeakRSS()}, nil
}

var torchEpoch = regexp.MustCompile(`train (\d+) img/s .* test_acc ([0-9.]+) infer (\d+) img/s`)

// runTorch runs the reference once with every setting passed explicitly,
// echoes the line in which it states them, and averages its epochs' figures.
func runTorch(s settings, out io.Writer) (figures, error) {
	if _, err := os.Stat(s.torchRef); err != nil {
		return figures{}, err
	}
	cmd := exec.Command(s.python, torchArgs(s)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outBytes, err := cmd.Output()
	if err != nil {
		return figures{}, fmt.Errorf("%s: %w: %s", s.python, err, strings.TrimSpace(lastLine(stderr.String())))
	}
	var f figures
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(outBytes))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "torch ") {
			fmt.Fprintf(out, "        reference says: %s\n", line)
		}
		m := torchEpoch.FindStringSubmatch(line)
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

// torchArgs passes every setting that could differ from ours, rather than
// trusting the script's defaults to match.
func torchArgs(s settings) []string {
	return []string{s.torchRef, s.dataDir,
		"--epochs", strconv.Itoa(s.epochs), "--limit", strconv.Itoa(s.limit),
		"--threads", strconv.Itoa(s.threads), "--batch", strconv.Itoa(s.batch),
		"--lr", strconv.FormatFloat(s.lr, 'g', -1, 64),
		"--standardize", "--mean", strconv.FormatFloat(data.PixelMean, 'g', -1, 64),
		"--std", strconv.FormatFloat(data.PixelStd, 'g', -1, 64),
	}
}

// spread formats the median of one figure over runs with its range.
func spread(fs []figures, get func(figures) float64, format string) string {
	vals := values(fs, get)
	return fmt.Sprintf(format+" ["+format+"–"+format+"]", median(fs, get), vals[0], vals[len(vals)-1])
}

func median(fs []figures, get func(figures) float64) float64 {
	vals := values(fs, get)
	mid := len(vals) / 2
	if len(vals)%2 == 1 {
		return vals[mid]
	}
	return (vals[mid-1] + vals[mid]) / 2
}

func values(fs []figures, get func(figures) float64) []float64 {
	vals := make([]float64, len(fs))
	for i, f := range fs {
		vals[i] = get(f)
	}
	slices.Sort(vals)
	return vals
}

func limitText(limit int) string {
	if limit > 0 {
		return "first " + strconv.Itoa(limit)
	}
	return "all"
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

// cpuFlags lists the vector extensions that decide which path can run.
func cpuFlags() string {
	yes := func(name string, has bool) string {
		if has {
			return name + " yes"
		}
		return name + " no"
	}
	switch runtime.GOARCH {
	case "amd64":
		return strings.Join([]string{yes("avx512f", cpu.X86.HasAVX512F), yes("avx2", cpu.X86.HasAVX2), yes("fma", cpu.X86.HasFMA)}, ", ")
	case "arm64":
		return yes("asimd", cpu.ARM64.HasASIMD)
	}
	return "no vector extensions used"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], " ")
}
