package views

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart styling shared with app.js, which only appends data.
const (
	chartFont      = "ui-sans-serif, system-ui, sans-serif"
	chartLineColor = "#2563eb" // tailwind blue-600
	chartAxisColor = "#94a3b8" // slate-400
	chartGridColor = "#e2e8f0" // slate-200
	chartTextColor = "#475569" // slate-600
	// xTickInterval puts an x tick every tenth of an epoch.
	xTickInterval = 0.1
)

// assetsHost points go-echarts at our embedded copy of ECharts instead of its
// CDN. We only use the option JSON, but this keeps any rendered asset list local.
const assetsHost = "/public/"

// LossChartOptions builds the ECharts option object for the loss curve as
// JSON, with points already embedded so that a late viewer sees the whole
// curve. Non-finite losses (a diverging run) are left out: JSON cannot carry
// them and ECharts could not draw them.
func LossChartOptions(points []LossPoint) (string, error) {
	data := make([]opts.LineData, 0, len(points))
	for _, p := range points {
		if !finite(p.Epoch) || !finite(p.Loss) {
			continue
		}
		data = append(data, opts.LineData{Value: [2]float64{p.Epoch, p.Loss}})
	}

	line := charts.NewLine()
	line.AssetsHost = assetsHost
	line.Accept(lossChartVisitor{})
	line.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithTitleOpts(opts.Title{
			// Shown only while there is nothing to draw; app.js toggles it.
			Show:       opts.Bool(len(data) == 0),
			Title:      "No loss points yet",
			Left:       "center",
			Top:        "middle",
			TitleStyle: &opts.TextStyle{Color: chartAxisColor, FontSize: 14, FontWeight: "normal"},
		}),
		charts.WithGridOpts(opts.Grid{Left: "16", Right: "24", Top: "32", Bottom: "24", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{
			Type:         "value",
			Name:         "epoch",
			NameLocation: "middle",
			NameGap:      26,
			Min:          0,
			SplitLine:    &opts.SplitLine{Show: opts.Bool(false)},
			AxisLine:     &opts.AxisLine{LineStyle: &opts.LineStyle{Color: chartAxisColor}},
		}),
		charts.WithYAxisOpts(opts.YAxis{
			Type:      "value",
			Name:      "loss",
			NameGap:   10,
			Scale:     opts.Bool(true),
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: chartGridColor}},
		}),
	)
	line.AddSeries("loss", data,
		charts.WithLineChartOpts(opts.LineChart{Smooth: opts.Bool(true), ShowSymbol: opts.Bool(false)}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: chartLineColor, Width: 2}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: chartLineColor}),
	)
	addLRSeries(line, points)
	line.Validate()

	out, err := json.Marshal(line.JSON())
	if err != nil {
		return "", fmt.Errorf("encode loss chart options: %w", err)
	}
	return string(out), nil
}

// LRSeriesName names the thin learning-rate series (app.js and the
// tooltip find it by this name).
const LRSeriesName = "learning rate"

// addLRSeries draws the learning rate in use as a thin second series on its
// own axis at the right; app.js appends to it live. Runs stored before the
// rate was recorded have an empty series.
func addLRSeries(line *charts.Line, points []LossPoint) {
	data := make([]opts.LineData, 0, len(points))
	for _, p := range points {
		if finite(p.Epoch) && finite(p.LR) && p.LR > 0 {
			data = append(data, opts.LineData{Value: [2]float64{p.Epoch, p.LR}})
		}
	}
	line.ExtendYAxis(opts.YAxis{
		Type: "value", Name: "LR", NameGap: 10, Position: "right", Min: 0,
		SplitLine: &opts.SplitLine{Show: opts.Bool(false)},
		AxisLabel: &opts.AxisLabel{Color: chartLRColor},
	})
	line.AddSeries(LRSeriesName, data,
		charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1, ShowSymbol: opts.Bool(false), Step: "end"}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: chartLRColor, Width: 1, Opacity: opts.Float(0.7)}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: chartLRColor}),
	)
}

// chartLRColor is the learning rate's colour (violet-600), as on the no-JS chart.
const chartLRColor = "#7c3aed"

// lossChartVisitor adds the options go-echarts does not model: a fixed x tick
// interval, monotone smoothing, the chart-wide font, and a tooltip drawn on the canvas (the
// default HTML tooltip writes style attributes, which the CSP blocks).
type lossChartVisitor struct {
	styledChartVisitor
}

// styledChartVisitor gives a chart the page's font and a tooltip drawn on
// the canvas (the default HTML tooltip writes style attributes, which the
// CSP blocks).
type styledChartVisitor struct {
	charts.BaseConfigurationVisitor
}

func (lossChartVisitor) VisitXAxis(axes []opts.XAxis) interface{} {
	out := make([]map[string]interface{}, 0, len(axes))
	for _, a := range axes {
		m, err := toMap(a)
		if err != nil {
			// Unreachable with the plain axis values above; keep the axis
			// without the interval rather than lose it.
			return axes
		}
		m["interval"] = xTickInterval
		out = append(out, m)
	}
	return out
}

// VisitSeriesOpt makes the smooth line monotone in x: ECharts' plain
// `smooth` spline overshoots, drawing bumps that are not in the data.
// newStaticChart draws the same curve for browsers without JavaScript.
func (lossChartVisitor) VisitSeriesOpt(series charts.MultiSeries) interface{} {
	out := make([]map[string]interface{}, 0, len(series))
	for _, s := range series {
		m, err := toMap(s)
		if err != nil {
			return series
		}
		m["smoothMonotone"] = "x"
		out = append(out, m)
	}
	return out
}

func (styledChartVisitor) VisitTooltipOpt(tooltip opts.Tooltip) interface{} {
	m, err := toMap(tooltip)
	if err != nil {
		return tooltip
	}
	m["renderMode"] = "richText"
	return m
}

func (styledChartVisitor) Visit(chart map[string]interface{}) {
	chart["textStyle"] = map[string]interface{}{"fontFamily": chartFont, "fontSize": 12, "color": chartTextColor}
}

func toMap(v interface{}) (map[string]interface{}, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]interface{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// pointMeaning says what a point of the loss curve is, for the subtitle.
func pointMeaning(batchesPerPoint int) string {
	switch {
	case batchesPerPoint == 1:
		return "loss of each batch"
	case batchesPerPoint > 1:
		return "mean loss over the last " + strconv.Itoa(batchesPerPoint) + " batches"
	}
	return "mean loss over the batches since the previous point"
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
