package views

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/fmnist/trainer/fmnist"
)

// ConfusionView is the confusion-matrix panel of one run at one epoch.
type ConfusionView struct {
	Run    int64
	Epoch  int   // the epoch shown; 0 when none is evaluated yet
	Epochs []int // the evaluated epochs, for the picker
	Matrix fmnist.Confusion
	Scores [fmnist.NumClasses]fmnist.ClassScore
	Pairs  []fmnist.ConfusedPair // the most confused, at most 3
	// Missing is the epoch asked for that has no matrix (0: none asked or found).
	Missing int
}

// ConfusionViewOf shows run runID's analysis of epoch (0: the newest).
func ConfusionViewOf(runID int64, analyses []fmnist.EpochAnalysis, epoch int) ConfusionView {
	v := ConfusionView{Run: runID}
	for _, a := range analyses {
		v.Epochs = append(v.Epochs, a.Epoch)
	}
	if len(analyses) == 0 {
		v.Missing = epoch
		return v
	}
	shown := analyses[len(analyses)-1]
	if epoch > 0 {
		v.Missing = epoch
		for _, a := range analyses {
			if a.Epoch == epoch {
				shown, v.Missing = a, 0
			}
		}
	}
	return v.showing(shown)
}

// LiveConfusionView is the panel for an analysis just reported: the picker
// offers the epochs up to it (the live stream carries no history).
func LiveConfusionView(runID int64, a fmnist.EpochAnalysis) ConfusionView {
	v := ConfusionView{Run: runID}
	for e := 1; e <= a.Epoch; e++ {
		v.Epochs = append(v.Epochs, e)
	}
	return v.showing(a)
}

func (v ConfusionView) showing(a fmnist.EpochAnalysis) ConfusionView {
	v.Epoch, v.Matrix = a.Epoch, a.Confusion
	v.Scores, v.Pairs = a.Confusion.Scores(), a.Confusion.MostConfused(3)
	return v
}

// maxOffDiagonal is the largest count of a mistake: the top of the colour
// scale, so mistakes show however good the model is (the diagonal, far
// above, takes the darkest colour).
func (v ConfusionView) maxOffDiagonal() int {
	m := 1
	for i := range v.Matrix {
		for j := range v.Matrix[i] {
			if i != j {
				m = max(m, v.Matrix[i][j])
			}
		}
	}
	return m
}

// rowTotal is how many test images are of class i.
func (v ConfusionView) rowTotal(i int) int {
	n := 0
	for _, c := range v.Matrix[i] {
		n += c
	}
	return n
}

// cellShade is the background of cell (i, j) in the no-JS table: the same
// scale as the heatmap's visualMap, as the alpha of its darkest colour.
func (v ConfusionView) cellShade(i, j int) string {
	share := min(1, float64(v.Matrix[i][j])/float64(v.maxOffDiagonal()))
	return fmt.Sprintf("background-color: rgba(30, 64, 175, %.3f)", 0.04+0.96*share)
}

// cellDark reports whether cell (i, j) is dark enough for white text.
func (v ConfusionView) cellDark(i, j int) bool {
	return float64(v.Matrix[i][j])/float64(v.maxOffDiagonal()) > 0.5
}

// cellLabel says what a cell means, for screen readers and tooltips.
func (v ConfusionView) cellLabel(i, j int) string {
	n, total := v.Matrix[i][j], v.rowTotal(i)
	share := 0.0
	if total > 0 {
		share = 100 * float64(n) / float64(total)
	}
	if i == j {
		return fmt.Sprintf("%s right: %d of %d (%.1f%%)", fmnist.ClassNames[i], n, total, share)
	}
	return fmt.Sprintf("%s taken for %s: %d of %d (%.1f%%)", fmnist.ClassNames[i], fmnist.ClassNames[j], n, total, share)
}

// ExamplesURL lists the test images of true class t predicted as p at the
// run's epoch.
func ExamplesURL(run int64, epoch, t, p int) string {
	return fmt.Sprintf("/runs/%d/examples?epoch=%d&true=%d&pred=%d", run, epoch, t, p)
}

// ConfusionFragmentURL is the panel alone, for the epoch picker with htmx.
func ConfusionFragmentURL(run int64) string {
	return "/runs/" + strconv.FormatInt(run, 10) + "/confusion"
}

// Heatmap colours: slate-50 to blue-800.
var heatmapColors = []string{"#f8fafc", "#1e40af"}

// ConfusionChartOptions is the heatmap's ECharts option object (JSON):
// predicted classes across, true classes down (T-shirt/top at the top),
// each cell labelled with its count, coloured by a visualMap that tops out
// at the largest mistake.
func ConfusionChartOptions(v ConfusionView) (string, error) {
	names := fmnist.ClassNames[:]
	data := make([]opts.HeatMapData, 0, fmnist.NumClasses*fmnist.NumClasses)
	for i := range v.Matrix {
		for j := range v.Matrix[i] {
			// [x = predicted, y = true, count]; Name carries the tooltip.
			data = append(data, opts.HeatMapData{Name: v.cellLabel(i, j), Value: [3]int{j, i, v.Matrix[i][j]}})
		}
	}
	hm := charts.NewHeatMap()
	hm.AssetsHost = assetsHost
	hm.Accept(styledChartVisitor{})
	hm.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: "{b}"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "28", Bottom: "56", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{
			Type: "category", Data: names, Name: "predicted", NameLocation: "middle", NameGap: 40,
			AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30},
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)},
		}),
		charts.WithYAxisOpts(opts.YAxis{
			Type: "category", Data: names, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Interval: "0"},
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)},
		}),
		charts.WithVisualMapOpts(opts.VisualMap{
			Type: "continuous", Min: 0, Max: float32(v.maxOffDiagonal()), Calculable: opts.Bool(true),
			Orient: "horizontal", Left: "center", Bottom: "0",
			Text:    []string{"more mistakes", "fewer"},
			InRange: &opts.VisualMapInRange{Color: heatmapColors},
		}),
	)
	hm.SetXAxis(names)
	hm.AddSeries("images", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), FontSize: 10}))
	hm.Validate()
	out, err := json.Marshal(hm.JSON())
	if err != nil {
		return "", fmt.Errorf("encode confusion chart options: %w", err)
	}
	return string(out), nil
}

// scoreText writes a precision, recall or F1 as a percentage with one decimal.
func scoreText(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }
