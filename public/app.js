// Dashboard behaviour htmx does not cover: the live loss chart, the log's
// length, resuming the event stream, and request errors.
// Loaded with defer after htmx, its SSE extension and ECharts.
(function () {
  'use strict';
  var MAX_LOGS = 50; // views.MaxLogEntries
  var body = document.body;

  // When the extension has to open a new EventSource (the old one closed),
  // ask for the events after the last one seen rather than the page's.
  var lastEventId = '', createEventSource = htmx.createEventSource;
  htmx.createEventSource = function (url) {
    if (lastEventId) url = url.replace(/([?&]after=)[^&]*/, '$1' + encodeURIComponent(lastEventId));
    var source = createEventSource(url);
    // The server lists every event name it sends in #live's data-events.
    var live = document.getElementById('live');
    var names = live ? live.getAttribute('data-events').split(' ') : [];
    names.forEach(function (name) {
      source.addEventListener(name, function (e) { if (e.lastEventId) lastEventId = e.lastEventId; });
    });
    return source;
  };

  var el = document.getElementById('loss-chart');
  var chart = null, controls = null, points = [], run = '', oneRun = false, maxPoints = 2000, labelStep = 1, lrPoints = null;
  var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
  var charts = window.fmnistCharts;

  // Ticks stay every 0.1 epoch; labels go every labelStep tenths so that they
  // never overlap, however long the run or narrow the screen.
  function formatLabel(v) {
    var tenths = Math.round(v * 10);
    return tenths % labelStep === 0 ? String(tenths / 10) : '';
  }

  var titleShown;
  function render() {
    var n = points.length;
    var min = n ? Math.floor(points[0][0] * 10) / 10 : 0;
    var max = n ? Math.max(Math.ceil(points[n - 1][0] * 10) / 10, min + 0.1) : 1;
    var zoom = controls.zoom(), span = zoom ? zoom.end - zoom.start : max - min;
    var tickWidth = chart.getWidth() * 0.85 / Math.max(1, Math.round(span * 10));
    labelStep = STEPS.find(function (s) { return s * tickWidth >= 40; }) || STEPS[STEPS.length - 1];
    controls.setData(0, withDetail(points));
    drawing = drawing.concat(arrivals);
    arrivals = [];
    if (lrPoints) controls.setData(1, lrPoints);
    var more = { xAxis: { min: min, max: max } };
    if (!n !== titleShown) more.title = { show: titleShown = !n }; // "no data yet", while there is none
    controls.render(more);
  }

  // The page holds a run's whole curve thinned to a few thousand points;
  // zoomed in, the window is drawn from the server's every point there
  // (GET /api/runs/{id}?from=&to=), so a spike of one batch is not averaged
  // away. detail is that window's points, for the run shown.
  var detail = null, detailTimer = 0, detailAsked = '';
  function withDetail(data) {
    if (!detail || detail.run !== run) return data;
    return data.filter(function (p) { return p[0] < detail.from; })
      .concat(detail.points, data.filter(function (p) { return p[0] > detail.to; }));
  }
  function askDetail() {
    clearTimeout(detailTimer);
    var z = controls.zoom();
    if (!z || !run) {
      detailAsked = '';
      if (detail) { detail = null; scheduleRender(); }
      return;
    }
    detailTimer = setTimeout(function () {
      var key = run + ' ' + z.start + ' ' + z.end, forRun = run;
      if (key === detailAsked) return;
      detailAsked = key;
      fetch('/api/runs/' + encodeURIComponent(forRun) + '?from=' + z.start + '&to=' + z.end + '&max_points=' + maxPoints)
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer || detailAsked !== key) return;
          var got = answer.points.filter(function (p) { return p.loss !== null; })
            .map(function (p) { return [p.epoch, p.loss]; });
          detail = { run: forRun, from: z.start, to: z.end, points: got };
          scheduleRender();
        })
        .catch(function () {}); // the thinned curve stays
    }, 250);
  }

  // showPointMeaning keeps the subtitle right when a run starts after the
  // page loaded (views.pointMeaning).
  function showPointMeaning(n) {
    var sub = document.querySelector('#loss-chart-panel .chart-subtitle');
    if (!sub) return;
    var what = n === 1 ? 'loss of each batch' : 'mean loss over the last ' + n + ' batches';
    sub.textContent = what + ' · x in epochs';
  }

  // scheduleRender hands the chart its new options at once: the live chart
  // sets them with lazyUpdate (chart-controls.js), so ECharts works them out
  // and paints in its next frame, once however many events came before it.
  // (Waiting for requestAnimationFrame here would cost a frame more.)
  function scheduleRender() {
    if (chart) render();
  }

  // Loss event to paint: when each loss event arrived (performance.now()),
  // and once ECharts has painted the frame that shows it ('rendered'), how
  // long that took. window.fmnistPaintLatency keeps the last 500 in ms, for
  // the browser test; the page itself does not use them.
  var arrivals = [], drawing = [], latency = window.fmnistPaintLatency = [];
  function arrived() { arrivals.push(performance.now()); }
  function painted() {
    var now = performance.now();
    drawing.forEach(function (t) { latency.push(now - t); });
    drawing = [];
    if (latency.length > 500) latency.splice(0, latency.length - 500);
  }

  // withZoom adds the zoom components and the room the slider needs.
  function withZoom(option) {
    option.dataZoom = charts.zoomOptions();
    [].concat(option.grid || []).forEach(function (g) { g.bottom = 52; });
    return option;
  }

  function markersOf(node) {
    try { return JSON.parse(node.getAttribute('data-markers') || '[]'); } catch (e) { return []; }
  }

  if (el && window.echarts && charts) {
    var option = withZoom(JSON.parse(el.dataset.options));
    maxPoints = parseInt(el.dataset.maxPoints, 10) || maxPoints;
    run = el.dataset.run || '';
    oneRun = el.dataset.oneRun === 'true';
    points = option.series[0].data.map(function (d) { return d.value || d; });
    option.series[0].data = points;
    if (option.series[1]) { // the learning rate (views.addLRSeries)
      lrPoints = option.series[1].data.map(function (d) { return d.value || d; });
      option.series[1].data = lrPoints;
    }
    option.xAxis[0].axisLabel = Object.assign({}, option.xAxis[0].axisLabel, { formatter: formatLabel });
    option.tooltip.formatter = charts.lossTooltip;
    chart = echarts.init(el);
    chart.on('rendered', painted);
    chart.setOption(option);
    controls = charts.attach(chart, el, option.series, {
      live: true, markers: markersOf(el), onZoom: function () { scheduleRender(); askDetail(); }
    });
    render();
    window.addEventListener('resize', function () { chart.resize(); scheduleRender(); });
  }

  // Charts whose whole options the server writes (a run's epochs, a
  // comparison): no live data, but the same controls.
  document.querySelectorAll('[data-echarts]').forEach(function (node) {
    if (!window.echarts || !charts) return;
    var option = withZoom(JSON.parse(node.getAttribute('data-echarts')));
    option.tooltip = Object.assign({}, option.tooltip, {
      valueFormatter: function (v) { return typeof v === 'number' ? v.toFixed(4) : v; }
    });
    var c = echarts.init(node);
    c.setOption(option);
    charts.attach(c, node, option.series, { markers: markersOf(node) }).render();
    window.addEventListener('resize', function () { c.resize(); });
  });

  // An epoch's end is a marker on the loss curve, labelled with its accuracy.
  body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    if (evt.target.id !== 'epoch-feed') return;
    evt.preventDefault();
    var msg;
    try { msg = JSON.parse(evt.detail.data); } catch (e) { return; }
    if (!controls || String(msg.run) !== run) return;
    var acc = typeof msg.test_accuracy === 'number' ? ' · ' + (100 * msg.test_accuracy).toFixed(1) + '%' : '';
    controls.addMarker({ x: msg.epoch, label: 'epoch ' + msg.epoch + acc, kind: 'epoch' });
    scheduleRender();
  });

  // A live learning-rate change is a marker too (views.LRMarkerLabel).
  body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    if (evt.target.id !== 'lr-feed') return;
    evt.preventDefault();
    var msg;
    try { msg = JSON.parse(evt.detail.data); } catch (e) { return; }
    if (!controls || String(msg.run) !== run) return;
    controls.addMarker({ x: msg.epoch, label: 'LR → ' + Number(msg.lr.toPrecision(3)), kind: 'lr' });
    scheduleRender();
  });

  // A training-health warning is a marker as well (views' WarningMarkers);
  // the item itself still goes into the banner. Only the running run's
  // pages are live, so it is this chart's run.
  body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    if (evt.target.id !== 'warning-list' || !controls) return;
    var li = new DOMParser().parseFromString(evt.detail.data, 'text/html').querySelector('li.warning');
    var x = li && Number(li.getAttribute('data-x'));
    if (!li || !isFinite(x)) return;
    controls.addMarker({ x: x, label: '⚠ ' + li.getAttribute('data-kind'), kind: 'warning' });
    scheduleRender();
  });

  body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    if (evt.target.id !== 'loss-feed') return;
    evt.preventDefault(); // the chart takes the data; nothing to swap
    var msg;
    try { msg = JSON.parse(evt.detail.data); } catch (e) { return; }
    if (String(msg.run) !== run) {
      if (oneRun) return; // a run's page shows that run only
      run = String(msg.run); points = []; detail = null;
      if (lrPoints) lrPoints.length = 0;
      if (controls) { controls.setMarkers([]); controls.resetZoom(); } // a new run: its whole curve
    }
    if (msg.batches_per_point) showPointMeaning(msg.batches_per_point);
    arrived();
    points.push([msg.epoch, msg.loss]);
    if (points.length > maxPoints) points.splice(0, points.length - maxPoints);
    if (lrPoints && msg.lr) {
      lrPoints.push([msg.epoch, msg.lr]);
      if (lrPoints.length > maxPoints) lrPoints.splice(0, lrPoints.length - maxPoints);
    }
    scheduleRender();
  });

  // A run's page follows the run while it trains; when it ends, a reload
  // brings its epochs, checkpoints and log up to date. (Before the swap:
  // the status line is replaced whole, and a replaced element's events no
  // longer reach the body.)
  body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    var live = document.getElementById('live');
    if (!live || !live.hasAttribute('data-reload-when-ended') || evt.target.id !== 'status-line') return;
    var m = /data-state="([a-z]+)"/.exec(evt.detail.data || '');
    if (m && m[1] !== 'training' && m[1] !== 'stopping') setTimeout(function () { location.reload(); }, 0);
  });

  // The log's scroll box runs in reverse, so new lines stay in view by themselves.
  body.addEventListener('htmx:sseMessage', function (evt) {
    var list = evt.target;
    if (list.id !== 'log-list') return;
    while (list.children.length > MAX_LOGS) list.firstElementChild.remove();
  });

  // The progress panel's elapsed time counts on between events: an epoch's
  // evaluation sends none for seconds. Written as views.formatClockTime.
  function clockTime(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
    return Math.floor(s / 3600) + 'h ' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + 'm';
  }
  setInterval(function () {
    var el = document.getElementById('elapsed');
    if (!el) return;
    if (!el.fmnistSince) el.fmnistSince = Date.now() - Number(el.getAttribute('data-elapsed-ms'));
    el.textContent = clockTime(Date.now() - el.fmnistSince);
  }, 1000);

  // htmx drops error responses (other than the form re-renders it is told to
  // swap), so say what happened rather than nothing.
  var errorBox = document.getElementById('request-error'), errorTimer = 0;
  function showError(message) {
    if (!errorBox) return;
    errorBox.textContent = message;
    errorBox.classList.remove('hidden');
    clearTimeout(errorTimer);
    errorTimer = setTimeout(function () { errorBox.classList.add('hidden'); }, 8000);
  }
  body.addEventListener('htmx:responseError', function (evt) {
    showError('The request failed (' + evt.detail.xhr.status + '). Reload the page and try again.');
  });
  body.addEventListener('htmx:sendError', function () { showError('The server cannot be reached. Is it still running?'); });
})();
