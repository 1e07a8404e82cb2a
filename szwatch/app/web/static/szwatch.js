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
    var d = p.data && p.data.point;
    if (!d || !d.source) { return ""; }
    var growth = p.seriesId.indexOf("growth") === 0;
    var value = growth ? (d.value > 0 ? "+" : "") + d.value + "%" : d.value + esc(d.unit);
    return "<strong>" + esc(d.scope) + " · " + esc(d.period) + "</strong><br>" +
      (growth ? "增速 " : "数值 ") + value + (d.revised ? " <em>（修订）</em>" : "") + "<br>" +
      "<span class='tip-source'>" + esc(d.source.issue_date) + " 第" + esc(d.source.page) + "版 " +
      esc(d.source.title) + "</span>";
  }

  var SYMBOLS = {"年度": "circle", "累计": "rect", "半年": "diamond", "季度": "triangle", "月度": "pin", "其他": "roundRect"};
  var DASHES = {"年度": "solid", "累计": "solid", "半年": "dotted", "季度": "dashed", "月度": "dotted", "其他": "dotted"};

  function withYearBreaks(line) {
    // A cumulative series starts again each January: its years are not joined (a gap, "-", between them).
    var out = [];
    line.points.forEach(function (pt, i) {
      var year = pt[0].slice(0, 4);
      if (line.kind === "累计" && i > 0 && line.points[i - 1][0].slice(0, 4) !== year) {
        out.push({value: [year + "-01-01", "-"]});
      }
      out.push({value: [pt[0], pt[1].value], point: pt[1]});
    });
    return out;
  }

  function indicatorChart() {
    var d = data("chart-data");
    var el = document.getElementById("chart");
    if (!d || !el) { return; }
    var chart = echarts.init(el, null, {renderer: "canvas"});
    var narrow = el.clientWidth < 600;
    var series = [];
    var names = [];
    var scopes = [];
    function add(lines, measure, axis) {
      // One series per area and kind of period, on a time axis: each point at its period's last day, so 1—2月,
      // 1—3月 … 1—11月 form one line and a year's figure sits at its December, not evenly spaced with them.
      lines.forEach(function (line) {
        if (scopes.indexOf(line.scope) < 0) { scopes.push(line.scope); }
        if (names.indexOf(line.name) < 0) { names.push(line.name); }
        series.push({
          id: measure + ":" + line.name, name: line.name, type: "line", xAxisIndex: axis, yAxisIndex: axis,
          symbol: SYMBOLS[line.kind] || "circle", symbolSize: 8,
          lineStyle: {type: DASHES[line.kind] || "solid"},
          color: COLORS[scopes.indexOf(line.scope) % COLORS.length],
          data: withYearBreaks(line)
        });
      });
    }
    add(d.value, "value", 0);
    add(d.growth, "growth", 1);
    var legendRows = Math.ceil(names.length / (narrow ? 3 : 6));
    var bottom = 30 + legendRows * 24;
    var xAxis = function (grid) {
      return {type: "time", gridIndex: grid, axisLabel: {hideOverlap: true, formatter: "{yyyy}-{MM}"},
              splitLine: {show: false}};
    };
    chart.setOption({
      animation: false,
      textStyle: {fontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"},
      tooltip: {trigger: "item", formatter: pointTip, confine: true},
      legend: {data: names, bottom: 4, left: "center", type: "plain", itemWidth: 18, itemGap: 8,
               textStyle: {fontSize: narrow ? 11 : 12}},
      axisPointer: {link: [{xAxisIndex: "all"}]},
      grid: [{top: 36, left: narrow ? 48 : 70, right: narrow ? 12 : 30, height: "30%"},
             {top: "52%", left: narrow ? 48 : 70, right: narrow ? 12 : 30, bottom: bottom}],
      xAxis: [xAxis(0), xAxis(1)],
      yAxis: [{type: "value", name: "数值" + (d.unit ? "（" + d.unit + "）" : ""), gridIndex: 0, scale: true,
               nameTextStyle: {align: "left"}},
              {type: "value", name: "增速（%）", gridIndex: 1, scale: true, nameTextStyle: {align: "left"}}],
      series: series
    });
    chart.on("click", function (p) {
      var pt = p.data && p.data.point;
      if (pt && pt.source) { window.location.href = "/articles/" + pt.source.article_id; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "true");
    el.setAttribute("data-series", String(series.length));
  }

  function timelineChart() {
    var d = data("timeline-data");
    var el = document.getElementById("timeline");
    if (!d || !el) { return; }
    if (!d.months.length) { el.textContent = "尚无提及"; return; }
    var chart = echarts.init(el, null, {renderer: "canvas"});
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      grid: {top: 20, bottom: 30, left: 40, right: 20},
      xAxis: {type: "category", data: d.months},
      yAxis: {type: "value", minInterval: 1},
      series: [{name: "报道数", type: "bar", data: d.stories, color: COLORS[0], barMaxWidth: 48}]
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
