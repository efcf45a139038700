package bundle

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/fmnist/trainer/fmnist"
)

// The CSV files' headers, as the app's own CSV downloads have them.
var (
	lossHeader   = []string{"epoch", "loss", "lr"}
	epochsHeader = []string{"epoch", "test_accuracy", "test_loss", "train_loss", "images_per_sec", "seconds", "val_images", "val_accuracy", "val_loss", "batches"}
)

// formatFloat writes f in its shortest exact form, so it reads back bit
// for bit (NaN for a diverged loss).
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func writeRows(rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(rows) // a bytes.Buffer does not fail
	return buf.Bytes()
}

func lossCSV(points []fmnist.LossPoint) []byte {
	rows := [][]string{lossHeader}
	for _, p := range points {
		rows = append(rows, []string{formatFloat(p.Epoch), formatFloat(p.Loss), formatFloat(p.LR)})
	}
	return writeRows(rows)
}

func epochsCSV(results []fmnist.EpochResult) []byte {
	rows := [][]string{epochsHeader}
	for _, e := range results {
		rows = append(rows, []string{strconv.Itoa(e.Epoch), formatFloat(e.TestAccuracy), formatFloat(e.TestLoss),
			formatFloat(e.TrainLoss), formatFloat(e.ImagesPerSec), formatFloat(e.Seconds),
			strconv.Itoa(e.ValImages), formatFloat(e.ValAccuracy), formatFloat(e.ValLoss), strconv.Itoa(e.Batches)})
	}
	return writeRows(rows)
}

func confusionCSV(m [][]int) []byte {
	header := []string{"true\\predicted"}
	for c := range m {
		header = append(header, strconv.Itoa(c))
	}
	rows := [][]string{header}
	for i, row := range m {
		r := []string{strconv.Itoa(i)}
		for _, n := range row {
			r = append(r, strconv.Itoa(n))
		}
		rows = append(rows, r)
	}
	return writeRows(rows)
}

// readRows reads a CSV whose first row must be header.
func readRows(data []byte, header []string) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = false
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		return nil, fmt.Errorf("the header is not %v", header)
	}
	return rows[1:], nil
}

func parseFloat(s, what string, line int) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: %s %q is not a number", line, what, s)
	}
	return f, nil
}

func parseLossCSV(data []byte) ([]fmnist.LossPoint, error) {
	rows, err := readRows(data, lossHeader)
	if err != nil {
		return nil, err
	}
	points := make([]fmnist.LossPoint, 0, len(rows))
	for i, row := range rows {
		var p fmnist.LossPoint
		if p.Epoch, err = parseFloat(row[0], "epoch", i+2); err != nil {
			return nil, err
		}
		if p.Loss, err = parseFloat(row[1], "loss", i+2); err != nil {
			return nil, err
		}
		if p.LR, err = parseFloat(row[2], "lr", i+2); err != nil {
			return nil, err
		}
		if !(p.Epoch >= 0) || math.IsInf(p.Epoch, 0) {
			return nil, fmt.Errorf("line %d: epoch %v is not a position on the curve", i+2, p.Epoch)
		}
		points = append(points, p)
	}
	return points, nil
}

func parseEpochsCSV(data []byte) ([]fmnist.EpochResult, error) {
	rows, err := readRows(data, epochsHeader)
	if err != nil {
		return nil, err
	}
	results := make([]fmnist.EpochResult, 0, len(rows))
	for i, row := range rows {
		line := i + 2
		var e fmnist.EpochResult
		if e.Epoch, err = strconv.Atoi(row[0]); err != nil || e.Epoch < 1 || e.Epoch > 1000 {
			return nil, fmt.Errorf("line %d: epoch %q is not a number from 1 to 1000", line, row[0])
		}
		if len(results) > 0 && e.Epoch <= results[len(results)-1].Epoch {
			return nil, fmt.Errorf("line %d: epoch %d does not follow epoch %d", line, e.Epoch, results[len(results)-1].Epoch)
		}
		for j, dst := range []*float64{&e.TestAccuracy, &e.TestLoss, &e.TrainLoss, &e.ImagesPerSec, &e.Seconds} {
			if *dst, err = parseFloat(row[j+1], epochsHeader[j+1], line); err != nil {
				return nil, err
			}
		}
		if e.ValAccuracy, err = parseFloat(row[7], "val_accuracy", line); err != nil {
			return nil, err
		}
		if e.ValLoss, err = parseFloat(row[8], "val_loss", line); err != nil {
			return nil, err
		}
		if e.ValImages, err = strconv.Atoi(row[6]); err != nil || e.ValImages < 0 {
			return nil, fmt.Errorf("line %d: val_images %q is not a count", line, row[6])
		}
		if e.Batches, err = strconv.Atoi(row[9]); err != nil || e.Batches < 0 {
			return nil, fmt.Errorf("line %d: batches %q is not a count", line, row[9])
		}
		if !(e.TestAccuracy >= 0 && e.TestAccuracy <= 1) {
			return nil, fmt.Errorf("line %d: test_accuracy %v is not between 0 and 1", line, e.TestAccuracy)
		}
		results = append(results, e)
	}
	return results, nil
}

func parseConfusionCSV(data []byte) ([][]int, error) {
	const classes = 10
	header := []string{"true\\predicted"}
	for c := range classes {
		header = append(header, strconv.Itoa(c))
	}
	rows, err := readRows(data, header)
	if err != nil {
		return nil, err
	}
	if len(rows) != classes {
		return nil, fmt.Errorf("%d rows, want %d", len(rows), classes)
	}
	m := make([][]int, classes)
	for i, row := range rows {
		if row[0] != strconv.Itoa(i) {
			return nil, fmt.Errorf("row %d is labelled %q", i, row[0])
		}
		m[i] = make([]int, classes)
		for j := range classes {
			n, err := strconv.Atoi(row[j+1])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("row %d, column %d: %q is not a count", i, j, row[j+1])
			}
			m[i][j] = n
		}
	}
	return m, nil
}
