/* Draws the overview's charts with the vendored Apache ECharts.
 *
 * The data comes from the page (json_script "dashboard-charts"): per chart its
 * labels, its series and, for every bar, the URL of the ledger rows it counts;
 * a click on a bar opens them. The charts are pictures of the tables under
 * them (aria-hidden): screen readers, keyboards and printers use the tables.
 */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || !window.echarts) {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var charts = [];

  function option(spec, el) {
    var horizontal = spec.type === "hbar";
    var many = spec.labels.length > 12;
    var percent = spec.unit === "%";
    var categoryAxis = {
      type: "category",
      data: spec.labels,
      inverse: horizontal,
      axisTick: {alignWithLabel: true},
      axisLabel: horizontal
        ? {interval: 0, width: Math.max(72, Math.min(160, el.clientWidth * 0.34)),
           overflow: "truncate"}
        : many
          ? {hideOverlap: true}
          // a few categories: every label, wrapped to its share of the width
          : {interval: 0, width: Math.max(40, el.clientWidth / spec.labels.length - 8),
             overflow: "break"}
    };
    var valueAxis = {
      type: "value",
      minInterval: percent ? 0 : 1,
      max: percent ? 100 : null,
      axisLabel: {formatter: percent ? "{value}%" : "{value}"}
    };
    var series = spec.series.map(function (s) {
      return {
        name: s.name,
        type: "bar",
        cursor: "pointer",
        barMaxWidth: 36,
        itemStyle: {color: s.color},
        label: {
          show: !many,
          position: horizontal ? "right" : "top",
          formatter: function (p) {
            return p.value === null || p.value === undefined ? "" : p.value + (spec.unit || "");
          }
        },
        data: s.data.map(function (value, i) {
          var item = {value: value, link: s.links[i]};
          if (s.colors) {
            item.itemStyle = {color: s.colors[i]};
          }
          return item;
        })
      };
    });
    var legend = spec.series.length > 1;
    return {
      animation: false,
      textStyle: {fontFamily: "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, confine: true},
      legend: legend ? {top: 0} : {show: false},
      grid: {left: 8, right: horizontal ? 48 : 12, top: legend ? 36 : 20, bottom: 8,
             containLabel: true},
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = specs[el.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    if (spec.type === "hbar") {
      // one row per bar: a long list gets a taller chart, not thinner bars
      el.style.height = Math.max(160, spec.labels.length * 30 + 50) + "px";
    }
    var chart = window.echarts.init(el, null, {locale: zh ? "ZH" : "EN"});
    chart.setOption(option(spec, el));
    chart.on("click", function (p) {
      if (p.data && p.data.link) {
        window.location.href = p.data.link;
      }
    });
    charts.push(chart);
  });

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
