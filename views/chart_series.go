package views

import (
	"encoding/json"
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Series is one named line of a chart whose x axis is in epochs: the run
// page's epoch chart and the comparison's overlaid curves.
type Series struct {
	Name   string
	Color  string
	Points [][2]float64 // [epoch, value]; non-finite values are left out
	Right  bool         // on the second y axis
	Dashed bool
	Mark   *SeriesMark // a labelled vertical line, e.g. where a fork starts
}

// SeriesMark is a vertical line across the chart at X (epochs), in its
// series' colour, with a label at the top.
type SeriesMark struct {
	X     float64
	Label string
}

// SeriesChartOptions builds the ECharts option object (JSON) for series
// over epochs, with a legend. leftName names the y axis; rightName, if not
// empty, a second one on the right for the series with Right set, from 0
// to 1 (an accuracy).
func SeriesChartOptions(series []Series, leftName, rightName string) (string, error) {
	line := charts.NewLine()
	line.AssetsHost = assetsHost
	line.Accept(seriesChartVisitor{})
	line.SetGlobalOptions(
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "16", Right: "24", Top: "40", Bottom: "24", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{
			Type: "value", Name: "epoch", NameLocation: "middle", NameGap: 26, Min: 0,
			SplitLine: &opts.SplitLine{Show: opts.Bool(false)},
			AxisLine:  &opts.AxisLine{LineStyle: &opts.LineStyle{Color: chartAxisColor}},
		}),
		charts.WithYAxisOpts(opts.YAxis{
			Type: "value", Name: leftName, NameGap: 10, Scale: opts.Bool(true),
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: chartGridColor}},
		}),
	)
	if rightName != "" {
		line.ExtendYAxis(opts.YAxis{Type: "value", Name: rightName, NameGap: 10, Min: 0, Max: 1,
			Position: "right", SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	}
	for _, s := range series {
		data := make([]opts.LineData, 0, len(s.Points))
		for _, p := range s.Points {
			if finite(p[0]) && finite(p[1]) {
				data = append(data, opts.LineData{Value: p})
			}
		}
		axis := 0
		if s.Right && rightName != "" {
			axis = 1
		}
		style := opts.LineStyle{Color: s.Color, Width: 2}
		if s.Dashed {
			style.Type = "dashed"
		}
		seriesOpts := []charts.SeriesOpts{
			charts.WithLineChartOpts(opts.LineChart{YAxisIndex: axis, ShowSymbol: opts.Bool(len(data) < 50)}),
			charts.WithLineStyleOpts(style),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}),
		}
		if m := s.Mark; m != nil && finite(m.X) {
			seriesOpts = append(seriesOpts,
				charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: m.Label, XAxis: m.X}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					Label:     &opts.Label{Show: opts.Bool(true), Formatter: m.Label, Position: "insideEndTop", Color: s.Color},
					LineStyle: &opts.LineStyle{Color: s.Color, Type: "dashed", Width: 1}}))
		}
		line.AddSeries(s.Name, data, seriesOpts...)
	}
	line.Validate()
	out, err := json.Marshal(line.JSON())
	if err != nil {
		return "", fmt.Errorf("encode chart options: %w", err)
	}
	return string(out), nil
}

// seriesChartVisitor is lossChartVisitor without its tick interval of a
// tenth of an epoch, which would crowd a chart of many epochs.
type seriesChartVisitor struct{ lossChartVisitor }

func (seriesChartVisitor) VisitXAxis(axes []opts.XAxis) interface{} { return axes }
