// Chart controls on every ECharts chart: smoothing (the raw curve stays
// faded underneath), zoom that holds while live points stream in (unless
// "follow" is on), a log-scale y axis and event markers. The settings are
// kept per kind of chart in localStorage. app.js attaches them.
// Loaded with defer before app.js.
(function () {
  'use strict';
  var MAX_SMOOTHING = 0.99; // views.MaxSmoothing

  // smoothEMA is views.SmoothEMA: TensorBoard's debiased exponential moving
  // average, ema_t = w*ema_{t-1} + (1-w)*x_t divided by 1-w^t, so the first
  // smoothed value is the first raw one. The same operations in the same
  // order as the Go function give the same numbers.
  function smoothEMA(values, w) {
    w = Math.min(Math.max(Number(w) || 0, 0), MAX_SMOOTHING);
    var out = new Array(values.length), ema = 0, weight = 1;
    for (var i = 0; i < values.length; i++) {
      ema = w * ema + (1 - w) * values[i];
      weight *= w;
      out[i] = ema / (1 - weight);
    }
    return out;
  }

  var DEFAULTS = { smooth: 0, log: false, follow: true };

  // lossTooltip is the loss chart's tooltip (axis trigger: params lists the
  // series at the pointer): "epoch 0.65 · loss 0.4767", for the curve drawn
  // on top (the smoothed one while smoothing is on).
  function lossTooltip(params) {
    var all = [].concat(params || []);
    var isLR = function (p) { return p.seriesName === 'learning rate'; }; // views.LRSeriesName
    var lr = all.filter(isLR)[0], list = all.filter(function (p) { return !isLR(p); });
    var top = list[list.length - 1];
    list.forEach(function (p) { if (String(p.seriesId || '').indexOf('smooth-') === 0) top = p; });
    var v = top && top.value;
    if (!v || typeof v[0] !== 'number' || typeof v[1] !== 'number') return '';
    var lrText = lr && lr.value && typeof lr.value[1] === 'number' ? ' · LR ' + Number(lr.value[1].toPrecision(3)) : '';
    return 'epoch ' + v[0].toFixed(2) + ' · loss ' + v[1].toFixed(4) + lrText;
  }

  function load(kind) {
    var s = {};
    try { s = JSON.parse(localStorage.getItem('fmnist.chart.' + kind) || '{}') || {}; } catch (e) { s = {}; }
    return {
      smooth: Math.min(Math.max(Number(s.smooth) || 0, 0), MAX_SMOOTHING),
      log: s.log === true,
      follow: s.follow !== false
    };
  }

  function save(kind, s) {
    try { localStorage.setItem('fmnist.chart.' + kind, JSON.stringify(s)); } catch (e) { /* private mode: not kept */ }
  }

  function control(parent, html) {
    var label = document.createElement('label');
    label.style.display = 'inline-flex';
    label.style.alignItems = 'center';
    label.style.gap = '0.375rem';
    label.innerHTML = html;
    parent.appendChild(label);
    return label.querySelector('input');
  }

  // attach puts the controls above chart's element. series are the base
  // series (the server's options); opts.live adds the "follow" toggle (and
  // lazy updates),
  // opts.markers are [{x, label, kind}], opts.onZoom is called after the
  // user zooms. It returns the chart's controller: setData(i, points),
  // setMarkers(list), addMarker(m), resetZoom(), render(extra), zoom().
  function attach(chart, el, series, opts) {
    opts = opts || {};
    var kind = el.getAttribute('data-kind') || el.id;
    var state = load(kind);
    var zoom = null; // {start, end} in x units while zoomed in; null shows all
    var markers = (opts.markers || []).slice();
    var extra = {};
    var given = {}; // the dataZoom and y axis last given to the chart
    var yAxes = [].concat(chart.getOption().yAxis || []).length; // read once: getOption copies all data
    var base = series.map(function (s) {
      var copy = Object.assign({}, s);
      var data = (s.data || []).map(function (d) { return d && d.value ? d.value : d; });
      delete copy.data;
      return { template: copy, data: data };
    });

    var bar = document.createElement('div');
    bar.className = 'chart-controls mb-3 flex flex-wrap items-center gap-3 text-xs text-slate-600';
    var smooth = control(bar, 'Smoothing <input type="range" min="0" max="' + MAX_SMOOTHING + '" step="0.01" class="chart-smooth"> <output class="tabular-nums"></output>');
    var out = bar.querySelector('output');
    var logY = control(bar, '<input type="checkbox" class="chart-log"> Log y');
    var follow = opts.live ? control(bar, '<input type="checkbox" class="chart-follow"> Follow') : null;
    var reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'chart-reset text-blue-700 underline';
    reset.textContent = 'Show all';
    bar.appendChild(reset);
    smooth.id = el.id + '-smooth';
    logY.id = el.id + '-log';
    if (follow) follow.id = el.id + '-follow';
    el.parentNode.insertBefore(bar, el);

    smooth.value = String(state.smooth);
    out.textContent = state.smooth.toFixed(2);
    logY.checked = state.log;
    if (follow) follow.checked = state.follow;

    function changed() {
      state.smooth = Number(smooth.value) || 0;
      state.log = logY.checked;
      if (follow) state.follow = follow.checked;
      out.textContent = state.smooth.toFixed(2);
      save(kind, state);
      render();
    }
    smooth.addEventListener('input', changed);
    logY.addEventListener('change', changed);
    if (follow) follow.addEventListener('change', changed);
    reset.addEventListener('click', function () { zoom = null; render(); if (opts.onZoom) opts.onZoom(); });

    // The user's zoom, read back in x units: kept as values, it stays put
    // when points are appended (percentages would slide with the data).
    chart.on('datazoom', function () {
      var model = chart.getModel().getComponent('dataZoom', 0);
      if (!model) return;
      var pct = model.getPercentRange(), val = model.getValueRange();
      zoom = pct[0] <= 0 && pct[1] >= 100 ? null : { start: val[0], end: val[1] };
      if (opts.onZoom) opts.onZoom();
    });

    function lastX() {
      var x = -Infinity;
      base.forEach(function (b) { if (b.data.length) x = Math.max(x, b.data[b.data.length - 1][0]); });
      return x;
    }

    function markLine() {
      return {
        silent: true, symbol: 'none', animation: false,
        data: markers.map(function (m) {
          var color = m.kind === 'resume' ? '#ea580c' : m.kind === 'warning' ? '#dc2626' : m.kind === 'lr' ? '#7c3aed' : '#94a3b8';
          return {
            xAxis: m.x, name: m.label,
            lineStyle: { color: color, type: 'dashed', width: 1 },
            // Warnings label the foot of their line: plateau and overfitting
            // sit on an epoch's end, whose label takes the top.
            label: { formatter: m.label, position: m.kind === 'warning' ? 'insideStartTop' : 'insideEndTop', color: color, fontSize: 10 }
          };
        })
      };
    }

    function render(more) {
      if (more) extra = more;
      var w = state.smooth, list = [];
      base.forEach(function (b, i) {
        var t = b.template, ls = t.lineStyle || {};
        if (w > 0 && t.name !== 'learning rate') { // the rate is exact: never smoothed
          list.push(Object.assign({}, t, {
            id: 'raw-' + i, data: b.data, silent: true, z: 1,
            lineStyle: Object.assign({}, ls, { opacity: 0.25, width: 1 })
          }));
          var ys = smoothEMA(b.data.map(function (p) { return p[1]; }), w);
          list.push(Object.assign({}, t, {
            id: 'smooth-' + i, z: 2,
            data: b.data.map(function (p, j) { return [p[0], ys[j]]; })
          }));
        } else {
          list.push(Object.assign({}, t, { id: 'raw-' + i, data: b.data, z: 2 }));
        }
      });
      // The run's markers go on the last loss series (not the learning
      // rate's), beside any mark the server gave it (a fork's "fork of run N").
      var curves = list.filter(function (x) { return x.name !== 'learning rate'; });
      if (curves.length && markers.length) {
        var last = curves[curves.length - 1], own = last.markLine, ml = markLine();
        if (own && own.data) ml.data = own.data.concat(ml.data);
        last.markLine = ml;
      }
      if (zoom && opts.live && state.follow) {
        var end = lastX(), width = zoom.end - zoom.start;
        if (end > zoom.end) zoom = { start: end - width, end: end };
      }
      var z = zoom ? { startValue: zoom.start, endValue: zoom.end } : { start: 0, end: 100 };
      var yAxis = { type: state.log ? 'log' : 'value' };
      var option = Object.assign({}, extra, { series: list });
      // Only what changed: every component given is merged and laid out
      // again, and a live chart renders many times a second.
      var zoomKey = JSON.stringify(z), yKey = yAxis.type;
      if (zoomKey !== given.zoom) option.dataZoom = [Object.assign({}, z), Object.assign({}, z)];
      if (yKey !== given.y) option.yAxis = yAxes > 1 ? [yAxis, {}] : [yAxis];
      given = { zoom: zoomKey, y: yKey };
      // A live chart gets many updates a second: lazyUpdate lets ECharts
      // do the work once, in the frame that paints it.
      chart.setOption(option, { replaceMerge: ['series'], lazyUpdate: !!opts.live });
    }

    return {
      setData: function (i, points) { base[i].data = points; },
      setMarkers: function (list) { markers = list.slice(); },
      resetZoom: function () { zoom = null; },
      addMarker: function (m) { markers.push(m); },
      render: render,
      zoom: function () { return zoom; }
    };
  }

  // zoomOptions are the dataZoom components every chart gets: inside (wheel
  // and drag) and a slider under the x axis. weakFilter fits the y axis to
  // the points in view but keeps the segments that cross the window's edges.
  function zoomOptions() {
    return [
      { type: 'inside', xAxisIndex: 0, filterMode: 'weakFilter' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'weakFilter', height: 16, bottom: 4, showDetail: false }
    ];
  }

  window.fmnistCharts = { smoothEMA: smoothEMA, attach: attach, zoomOptions: zoomOptions, lossTooltip: lossTooltip, defaults: DEFAULTS };
})();
