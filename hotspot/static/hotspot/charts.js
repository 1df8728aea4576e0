// Area page charts (Chart.js). Every chart has the same figures as a table next to it.
(function () {
  "use strict";
  var dataEl = document.getElementById("chart-data");
  if (!dataEl || !window.Chart) return;
  var d = JSON.parse(dataEl.textContent);
  var labels = JSON.parse(document.getElementById("chart-labels").textContent);
  var lang = document.documentElement.lang || "da";
  Chart.defaults.font.family = "'IBM Plex Sans', Arial, sans-serif";
  Chart.defaults.locale = lang === "da" ? "da-DK" : "en-GB";
  // Okabe-Ito palette (colour-blind safe) plus grey for "other".
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"];

  new Chart(document.getElementById("chart-reports"), {
    type: "bar",
    data: {
      labels: d.years,
      datasets: d.reports.labels.map(function (label, i) {
        return { type: "bar", label: label, data: d.reports.series[i], backgroundColor: PALETTE[i % PALETTE.length], stack: "r", yAxisID: "y" };
      }).concat([{ type: "line", label: labels.rate, data: d.rate, borderColor: "#000", backgroundColor: "#000", yAxisID: "y2", tension: 0.2 }]),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: labels.reports } },
        y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: labels.rate } },
      },
    },
  });
  new Chart(document.getElementById("chart-population"), {
    type: "bar",
    data: {
      labels: d.years,
      datasets: d.population.labels.map(function (label, i) {
        return { label: label, data: d.population.series[i], backgroundColor: PALETTE[i % PALETTE.length], stack: "p" };
      }),
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: labels.residents } } },
    },
  });
  var surveyCanvas = document.getElementById("chart-survey");
  if (surveyCanvas && d.survey) {
    new Chart(surveyCanvas, {
      type: "line",
      data: {
        labels: d.survey.years,
        datasets: [
          { label: labels.high, data: d.survey.high, borderColor: "rgba(0,114,178,0.35)", backgroundColor: "rgba(0,114,178,0.15)", pointRadius: 0, fill: "+2", borderDash: [4, 3] },
          { label: labels.unsafe, data: d.survey.share, borderColor: "#0072B2", backgroundColor: "#0072B2", spanGaps: false },
          { label: labels.low, data: d.survey.low, borderColor: "rgba(0,114,178,0.35)", pointRadius: 0, fill: false, borderDash: [4, 3] },
        ],
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: labels.unsafe } } } },
    });
  }
  document.body.dataset.chartsReady = "true";
})();
