// Safety-index pages: the map of scores coloured by band, and the profile chart (Chart.js).
// Colours come from the server (one per band, the same as the legend and the ranking).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "da";
  var fmt = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  var el = document.getElementById("index-map");
  if (el && window.L) {
    var map = L.map(el, { zoomSnap: 0.25 });
    map.attributionControl.setPrefix(false);
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var worst = el.dataset.worst;
        var layer = L.geoJSON(data, {
          style: function (f) {
            var isWorst = String(f.id) === worst;
            return {
              color: isWorst ? "#000" : "#333", weight: isWorst ? 3 : 1, fillOpacity: 0.8,
              fillColor: f.properties.colour, className: "area-" + f.id + (isWorst ? " area-worst" : ""),
            };
          },
          onEachFeature: function (f, l) {
            var p = f.properties;
            var value = p.score === null ? el.dataset.labelNodata : fmt.format(p.score) + (p.band ? " (" + p.band + ")" : "");
            var box = document.createElement("div");
            var strong = document.createElement("strong");
            strong.textContent = p.name;
            box.appendChild(strong);
            box.appendChild(document.createElement("br"));
            box.appendChild(document.createTextNode(el.dataset.labelScore + ": " + value));
            box.appendChild(document.createElement("br"));
            var a = document.createElement("a");
            a.href = p.url;
            a.className = "profile-link";
            a.textContent = el.dataset.labelProfile;
            box.appendChild(a);
            l.bindPopup(box);
            // Text, never HTML: area names come from imports (Leaflet inserts a string tooltip as HTML).
            var tip = document.createElement("span");
            tip.textContent = p.name + ": " + value;
            l.bindTooltip(tip);
          },
        }).addTo(map);
        if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        el.dataset.features = String(data.features.length);
        el.dataset.ready = "true";
      });
  }

  var dataEl = document.getElementById("index-chart-data");
  if (dataEl && window.Chart) {
    var d = JSON.parse(dataEl.textContent);
    var labels = JSON.parse(document.getElementById("index-chart-labels").textContent);
    Chart.defaults.font.family = "'IBM Plex Sans', Arial, sans-serif";
    Chart.defaults.locale = lang === "da" ? "da-DK" : "en-GB";
    // Okabe-Ito (colour-blind safe)
    var series = [["score", "#000000", 3], ["objective", "#0072B2", 1.5], ["subjective", "#D55E00", 1.5], ["socio_economic", "#009E73", 1.5]];
    var datasets = series
      .filter(function (s) { return d[s[0]].some(function (v) { return v !== null; }); })
      .map(function (s) {
        return { label: labels[s[0]], data: d[s[0]], borderColor: s[1], backgroundColor: s[1], borderWidth: s[2], spanGaps: false, tension: 0.15 };
      });
    var annotations = {};
    d.cuts.forEach(function (c, i) {
      annotations["cut" + i] = { type: "line", yMin: c, yMax: c, borderColor: "#777", borderDash: [5, 4], borderWidth: 1 };
    });
    var refIndex = d.years.indexOf(d.reference_year);
    if (refIndex >= 0) {
      annotations.reference = {
        type: "line", xMin: refIndex, xMax: refIndex, borderColor: "#333", borderWidth: 1,
        label: { display: true, content: labels.reference, position: "start", font: { size: 11 } },
      };
    }
    new Chart(document.getElementById("chart-index"), {
      type: "line",
      data: { labels: d.years.map(String), datasets: datasets },
      options: { maintainAspectRatio: false, animation: false, plugins: { annotation: { annotations: annotations } } },
    });
    document.body.dataset.chartsReady = "true";
  }
})();
