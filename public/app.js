// Dashboard behaviour htmx does not cover: the live loss chart, the log's
// length and scroll position, and resuming the SSE stream where it stopped.
// Loaded with defer after htmx, its SSE extension and ECharts.
(function () {
  'use strict';
  var MAX_LOGS = 50; // views.MaxLogEntries
  var EVENTS = ['dataset', 'status', 'progress', 'log', 'loss', 'predictions'];

  // When the extension has to open a new EventSource (the old one closed),
  // ask for the events after the last one seen rather than the page's.
  var lastEventId = '';
  var createEventSource = htmx.createEventSource;
  htmx.createEventSource = function (url) {
    if (lastEventId) url = url.replace(/([?&]after=)[^&]*/, '$1' + encodeURIComponent(lastEventId));
    var source = createEventSource(url);
    EVENTS.forEach(function (name) {
      source.addEventListener(name, function (e) { if (e.lastEventId) lastEventId = e.lastEventId; });
    });
    return source;
  };

  var el = document.getElementById('loss-chart');
  var chart = null, option = null, points = [], run = '', maxPoints = 2000, labelStep = 1, pending = false;

  // Labels every labelStep tenths of an epoch, so they never overlap however
  // long the run or narrow the screen; ticks stay every 0.1.
  function formatLabel(v) {
    var tenths = Math.round(v * 10);
    return tenths % labelStep === 0 ? String(tenths / 10) : '';
  }

  function render() {
    pending = false;
    var min = points.length ? Math.floor(points[0][0] * 10) / 10 : 0;
    var max = points.length ? Math.max(Math.ceil(points[points.length - 1][0] * 10) / 10, min + 0.1) : 1;
    var ticks = Math.max(1, Math.round((max - min) * 10));
    var steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
    var width = chart.getWidth() * 0.85;
    labelStep = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) {
      if (width / (ticks / steps[i]) >= 40) { labelStep = steps[i]; break; }
    }
    chart.setOption({ title: { show: !points.length }, xAxis: { min: min, max: max }, series: [{ data: points }] });
  }

  function scheduleRender() {
    if (chart && !pending) { pending = true; requestAnimationFrame(render); }
  }

  if (el && window.echarts) {
    option = JSON.parse(el.dataset.options);
    maxPoints = parseInt(el.dataset.maxPoints, 10) || maxPoints;
    run = el.dataset.run || '';
    points = (option.series[0].data || []).map(function (d) { return d.value || d; });
    option.xAxis[0].axisLabel = Object.assign({}, option.xAxis[0].axisLabel, { formatter: formatLabel });
    option.series[0].data = points;
    chart = echarts.init(el);
    chart.setOption(option);
    render();
    window.addEventListener('resize', function () { chart.resize(); scheduleRender(); });
  }

  var logWasAtBottom = true;
  function atBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 24; }

  document.body.addEventListener('htmx:sseBeforeMessage', function (evt) {
    if (evt.target.id === 'log-list') logWasAtBottom = atBottom(evt.target);
    if (evt.target.id !== 'loss-feed') return;
    evt.preventDefault(); // the chart takes the data; nothing to swap
    var msg;
    try { msg = JSON.parse(evt.detail.data); } catch (e) { return; }
    if (String(msg.run) !== run) { run = String(msg.run); points = []; }
    points.push([msg.epoch, msg.loss]);
    if (points.length > maxPoints) points.splice(0, points.length - maxPoints);
    scheduleRender();
  });

  document.body.addEventListener('htmx:sseMessage', function (evt) {
    var list = evt.target;
    if (list.id !== 'log-list') return;
    while (list.children.length > MAX_LOGS) list.firstElementChild.remove();
    if (logWasAtBottom) list.scrollTop = list.scrollHeight;
  });

  var logList = document.getElementById('log-list');
  if (logList) logList.scrollTop = logList.scrollHeight;
})();
