// The model analytics panels: the confusion heatmap, drawn from the
// options the server writes in data-heatmap (views.ConfusionChartOptions),
// again whenever htmx swaps a new panel in (the epoch picker, the live
// "confusion" event).
(function () {
  'use strict';
  var drawn = [];

  function draw(node) {
    if (!window.echarts || node.getAttribute('data-drawn')) return;
    var option;
    try { option = JSON.parse(node.getAttribute('data-heatmap')); } catch (e) { return; }
    node.setAttribute('data-drawn', 'true');
    node.hidden = false; // hidden without JavaScript, where the table shows instead
    // The table stays for screen readers only.
    var box = document.getElementById('confusion-table-box');
    if (box) {
      box.removeAttribute('tabindex');
      box.classList.remove('overflow-x-auto');
      box.classList.add('sr-only');
    }
    var chart = echarts.init(node);
    chart.setOption(option);
    // A click on a cell lists its images at the panel's epoch, as the
    // no-JS table's links do (views.ExamplesURL).
    var run = node.getAttribute('data-run'), epoch = node.getAttribute('data-epoch');
    chart.on('click', function (params) {
      var v = params.value || (params.data && params.data.value);
      if (!v || !run) return;
      window.location.assign('/runs/' + run + '/examples?epoch=' + epoch + '&true=' + v[1] + '&pred=' + v[0]);
    });
    drawn.push(chart);
  }

  // Charts whose panel was swapped out are let go.
  function forgetRemoved() {
    drawn = drawn.filter(function (c) {
      if (document.body.contains(c.getDom())) return true;
      c.dispose();
      return false;
    });
  }

  // drawIn draws every heatmap on the page not yet drawn: by the time an
  // idle moment comes, the panel that asked may have been replaced by a
  // newer one, which is then the one to draw.
  function drawIn() {
    forgetRemoved();
    document.querySelectorAll('[data-heatmap]').forEach(draw);
  }

  // The page and every swapped-in fragment; drawn after htmx has settled
  // the swap (drawing inside its load event leaves later swaps of other
  // panels unregistered from the event stream), and when the page is idle:
  // a heatmap takes a while to draw, and the live loss chart goes first.
  var later = window.requestIdleCallback
    ? function (fn) { requestIdleCallback(fn, { timeout: 1000 }); }
    : function (fn) { setTimeout(fn, 0); };
  if (window.htmx) htmx.onLoad(function () { later(drawIn); });
  else document.querySelectorAll('[data-heatmap]').forEach(draw);
  // A warning arrived: the banner shows.
  document.body.addEventListener('htmx:sseMessage', function (evt) {
    if (evt.target.id !== 'warning-list') return;
    var banner = document.getElementById('warnings-banner');
    if (banner) banner.hidden = false;
    // The new item is on top; an older one of its kind folds away, so the
    // list keeps the newest of each kind (views.WarningsBanner).
    var list = evt.target, top = list.firstElementChild;
    var folded = document.getElementById('earlier-warning-list');
    if (!top || !folded) return;
    Array.prototype.slice.call(list.children, 1).forEach(function (li) {
      if (li.getAttribute('data-kind') !== top.getAttribute('data-kind')) return;
      folded.insertBefore(li, folded.firstChild);
      document.getElementById('earlier-warnings').hidden = false;
      document.getElementById('earlier-warnings-count').textContent = String(folded.children.length);
    });
  });
  window.addEventListener('resize', function () { drawn.forEach(function (c) { c.resize(); }); });
})();
