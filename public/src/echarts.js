// The ECharts the pages load: only the chart types and components they use
// (or are about to), from ECharts' modular build, bundled by esbuild into
// public/echarts.min.js (`task echarts`). The options still come from
// go-echarts on the server; a chart type or component missing here draws
// nothing, so add it here when an option starts using it.
import * as echarts from 'echarts/core';
import { LineChart, HeatmapChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  LineChart, HeatmapChart,
  DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent,
  TitleComponent, TooltipComponent, VisualMapComponent,
  CanvasRenderer
]);

// app.js and chart-controls.js use the global, as with the full build.
window.echarts = echarts;
