/* szwatch web view: draws the charts from the JSON the page carries in <script type="application/json">.
   No inline script anywhere: the Content-Security-Policy lets only files from /static run. Every text from the
   archive that goes into a tooltip is escaped (ECharts puts tooltips in as HTML). */
(function () {
  "use strict";

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function esc(value) {
    return echarts.format.encodeHTML(value === null || value === undefined ? "" : String(value));
  }

  var COLORS = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#749f83", "#ca8622", "#bda29a", "#6e7074",
                "#546570", "#c4ccd3", "#4b8bbe", "#8d6e63"];

  function pointTip(p) {
    var d = p.data;
    if (!d || !d.source) { return ""; }
    var value = d.kind === "growth" ? (d.value > 0 ? "+" : "") + d.value + "%" : d.value + esc(d.unit);
    return "<strong>" + esc(d.scope) + " · " + esc(d.period) + "</strong><br>" +
      (d.kind === "growth" ? "growth 增速 " : "value 数值 ") + value +
      (d.revised ? " <em>(revised 修订)</em>" : "") + "<br>" +
      "<span class='tip-source'>" + esc(d.source.issue_date) + " " + esc(d.source.page) + " " +
      esc(d.source.title) + "</span>";
  }

  function indicatorChart() {
    var d = data("chart-data");
    var el = document.getElementById("chart");
    if (!d || !el) { return; }
    var chart = echarts.init(el, null, {renderer: "canvas"});
    var series = [];
    var scopes = [];
    function add(lines, kind, axis) {
      // One line per area; inside it, only figures covering equally long periods are joined (a year to a year,
      // a quarter to a quarter): one series per span, all named after the area, so the legend treats them as one.
      lines.forEach(function (line) {
        if (scopes.indexOf(line.scope) < 0) { scopes.push(line.scope); }
        var spans = [];
        line.points.forEach(function (pt) { if (pt && spans.indexOf(pt.span) < 0) { spans.push(pt.span); } });
        spans.forEach(function (span) {
          series.push({
            name: line.scope, type: "line", xAxisIndex: axis, yAxisIndex: axis, connectNulls: true,
            symbolSize: 8, color: COLORS[scopes.indexOf(line.scope) % COLORS.length],
            data: line.points.map(function (pt) {
              return pt && pt.span === span ? Object.assign({kind: kind}, pt) : null;
            })
          });
        });
      });
    }
    add(d.value, "value", 0);
    add(d.growth, "growth", 1);
    chart.setOption({
      animation: false,
      textStyle: {fontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"},
      tooltip: {trigger: "item", formatter: pointTip, confine: true},
      legend: {data: scopes, top: 0},
      axisPointer: {link: [{xAxisIndex: "all"}]},
      grid: [{top: 48, height: "34%", left: 70, right: 30}, {top: "60%", height: "28%", left: 70, right: 30}],
      xAxis: [{type: "category", data: d.periods, gridIndex: 0, axisLabel: {hideOverlap: true}},
              {type: "category", data: d.periods, gridIndex: 1, axisLabel: {hideOverlap: true}}],
      yAxis: [{type: "value", name: "value 数值" + (d.unit ? " (" + d.unit + ")" : ""), gridIndex: 0, scale: true},
              {type: "value", name: "growth 增速 (%)", gridIndex: 1, scale: true}],
      series: series
    });
    chart.on("click", function (p) {
      if (p.data && p.data.source) { window.location.href = "/articles/" + p.data.source.article_id; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
  }

  function timelineChart() {
    var d = data("timeline-data");
    var el = document.getElementById("timeline");
    if (!d || !el) { return; }
    if (!d.months.length) { el.textContent = "no mention stored yet"; return; }
    var chart = echarts.init(el, null, {renderer: "canvas"});
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      grid: {top: 20, bottom: 30, left: 40, right: 20},
      xAxis: {type: "category", data: d.months},
      yAxis: {type: "value", minInterval: 1},
      series: [{name: "stories 报道", type: "bar", data: d.stories, color: COLORS[0], barMaxWidth: 48}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
  }

  function start() {
    if (typeof echarts === "undefined") { return; }
    indicatorChart();
    timelineChart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
