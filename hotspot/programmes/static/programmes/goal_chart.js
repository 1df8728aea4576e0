// A goal's trend (Chart.js) with the target as a horizontal line, the baseline as a point and the
// deadline as a vertical line (chartjs-plugin-annotation). The same figures are in the table below it.
(function () {
  "use strict";
  var el = document.getElementById("goal-chart-data");
  if (!el || !window.Chart) return;
  var d = JSON.parse(el.textContent);
  var t = JSON.parse(document.getElementById("goal-chart-labels").textContent);
  var lang = document.documentElement.lang || "da";
  Chart.defaults.font.family = "'IBM Plex Sans', Arial, sans-serif";
  Chart.defaults.locale = lang === "da" ? "da-DK" : "en-GB";
  var labels = d.labels.slice();
  [d.baseline_date, d.deadline].forEach(function (x) { if (labels.indexOf(x) < 0) labels.push(x); });
  labels.sort();
  var values = labels.map(function (x) { var i = d.labels.indexOf(x); return i < 0 ? null : d.values[i]; });
  var base = labels.map(function (x) { return x === d.baseline_date ? d.baseline : null; });
  new Chart(document.getElementById("goal-chart"), {
    type: "line",
    data: {
      labels: labels.map(function (x) { return x.slice(0, 4) === x.slice(0, 4) ? x : x; }),
      datasets: [
        { label: t.value, data: values, borderColor: "#0072B2", backgroundColor: "#0072B2", spanGaps: true, tension: 0.1 },
        { label: t.baseline, data: base, borderColor: "#000", backgroundColor: "#000", pointRadius: 6, pointStyle: "rectRot", showLine: false },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        annotation: {
          annotations: {
            target: { type: "line", yMin: d.target, yMax: d.target, borderColor: "#D55E00", borderWidth: 2, borderDash: [6, 4],
                      label: { display: true, content: t.target + ": " + d.target, position: "start", backgroundColor: "#D55E00" } },
            deadline: { type: "line", xMin: d.deadline, xMax: d.deadline, borderColor: "#454545", borderWidth: 1,
                        label: { display: true, content: t.deadline, position: "end", backgroundColor: "#454545" } },
          },
        },
      },
      scales: { y: { beginAtZero: false } },
    },
  });
  document.body.dataset.chartsReady = "true";
})();
