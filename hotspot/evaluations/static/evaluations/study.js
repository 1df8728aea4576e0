// Study result charts (Chart.js): pre-trend of hotspots vs controls, and the event study with intervals.
// Every chart has the same figures in a table next to it.
(function () {
  "use strict";
  var dataEl = document.getElementById("evaluation-data");
  if (!dataEl || !window.Chart) return;
  var d = JSON.parse(dataEl.textContent);
  var labels = JSON.parse(document.getElementById("evaluation-labels").textContent);
  var lang = document.documentElement.lang || "da";
  Chart.defaults.font.family = "'IBM Plex Sans', Arial, sans-serif";
  Chart.defaults.locale = lang === "da" ? "da-DK" : "en-GB";
  var TREATED = "#D55E00", CONTROL = "#0072B2";  // Okabe-Ito, colour-blind safe

  var years = d.trend.years;
  var starts = {};
  d.starts.forEach(function (s, i) {
    // the start line sits between the last year before and the first year of the effort
    starts["start" + i] = {
      type: "line", xMin: years.indexOf(s) - 0.5, xMax: years.indexOf(s) - 0.5,
      borderColor: "#555", borderDash: [6, 4], borderWidth: 1.5,
      label: { display: true, content: labels.start + " " + s, position: "start", backgroundColor: "rgba(255,255,255,0.85)", color: "#1a1a1a" },
    };
  });
  new Chart(document.getElementById("chart-trend"), {
    type: "line",
    data: {
      labels: years,
      datasets: [
        { label: labels.treated, data: d.trend.treated, borderColor: TREATED, backgroundColor: TREATED, tension: 0.1 },
        { label: labels.control, data: d.trend.control, borderColor: CONTROL, backgroundColor: CONTROL, borderDash: [3, 2], tension: 0.1 },
      ],
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: labels.unit } } },
      plugins: { annotation: { annotations: starts } },
    },
  });

  var ev = d.event;
  var canvas = document.getElementById("chart-event");
  if (ev && canvas) {
    var k = ev.scale === "relative" ? 100 : 1;
    var rows = ev.rel_time.map(function (r, i) { return [r, ev.coef[i], ev.ci_low[i], ev.ci_high[i]]; });
    rows.push([-1, 0, 0, 0]);
    rows.sort(function (a, b) { return a[0] - b[0]; });
    var fmt = function (v) { return v === null ? null : v * k; };
    new Chart(canvas, {
      type: "line",
      data: {
        labels: rows.map(function (r) { return r[0]; }),
        datasets: [
          { label: labels.high, data: rows.map(function (r) { return fmt(r[3]); }), borderColor: "rgba(0,114,178,0.35)", backgroundColor: "rgba(0,114,178,0.15)", pointRadius: 0, fill: "+2", borderDash: [4, 3] },
          { label: labels.effect + (ev.scale === "relative" ? " (%)" : ""), data: rows.map(function (r) { return fmt(r[1]); }), borderColor: CONTROL, backgroundColor: CONTROL, showLine: false, pointRadius: 5 },
          { label: labels.low, data: rows.map(function (r) { return fmt(r[2]); }), borderColor: "rgba(0,114,178,0.35)", pointRadius: 0, fill: false, borderDash: [4, 3] },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { x: { title: { display: true, text: labels.rel } }, y: { title: { display: true, text: labels.effect + (ev.scale === "relative" ? " (%)" : "") } } },
        plugins: { annotation: { annotations: {
          zero: { type: "line", yMin: 0, yMax: 0, borderColor: "#1a1a1a", borderWidth: 1 },
          start: { type: "line", xMin: rows.findIndex(function (r) { return r[0] === 0; }) - 0.5, xMax: rows.findIndex(function (r) { return r[0] === 0; }) - 0.5, borderColor: "#555", borderDash: [6, 4] },
        } } },
      },
    });
  }
  document.body.dataset.chartsReady = "true";
})();
