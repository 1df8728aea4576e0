// Choropleth of the areas (no tile server: outlines on a neutral background, UX.md).
(function () {
  "use strict";
  var el = document.getElementById("area-map");
  if (!el || !window.L) return;
  // ColorBrewer YlOrRd, 5 classes: readable in print and for most colour-vision deficiencies.
  var COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.setPrefix(false);
  var layer = null;
  var overlay = null;
  var data = null;
  // Hotspot, control and buffer areas drawn over the choropleth as outlines (never filled, so the
  // colours below stay readable); each has a checkbox and a legend entry.
  var OVERLAYS = {
    hotspot: { color: "#6a00a8", weight: 3, dashArray: null },
    control: { color: "#1f4e99", weight: 3, dashArray: "8 5" },
    buffer: { color: "#444444", weight: 2, dashArray: "2 4" },
  };
  var fmt = new Intl.NumberFormat(document.documentElement.lang || "da", { maximumFractionDigits: 1 });

  function quantileBreaks(values, k) {
    var v = values.slice().sort(function (a, b) { return a - b; });
    var breaks = [];
    for (var i = 1; i < k; i++) breaks.push(v[Math.min(v.length - 1, Math.floor((i * v.length) / k))]);
    return breaks;
  }
  function classOf(value, breaks) {
    var c = 0;
    while (c < breaks.length && value > breaks[c]) c++;
    return c;
  }
  function render() {
    var measure = document.getElementById("measure").value;
    var which = document.getElementById("layer").value;
    var features = data.features.filter(function (f) {
      var k = f.properties.kind;
      return which === "district" ? k === "district" : (k === "rode" || k === "housing");
    });
    var values = features.map(function (f) { return f.properties[measure]; }).filter(function (v) { return v !== null; });
    var breaks = quantileBreaks(values, COLOURS.length);
    if (layer) map.removeLayer(layer);
    layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function (f) {
        var v = f.properties[measure];
        return { color: "#333", weight: 1, fillOpacity: 0.75, fillColor: v === null ? "#cccccc" : COLOURS[classOf(v, breaks)] };
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        var value = p[measure] === null ? el.dataset.labelNodata : fmt.format(p[measure]);
        var a = document.createElement("a");
        a.href = p.url;
        a.textContent = p.name;
        var box = document.createElement("div");
        box.appendChild(a);
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(p.kind_label + ": " + value));
        l.bindPopup(box);
        // Text, never HTML: area names come from imports (Leaflet inserts a string tooltip as HTML).
        var tip = document.createElement("span");
        tip.textContent = p.name + " (" + value + ")";
        l.bindTooltip(tip);
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    var legend = document.getElementById("map-legend");
    legend.textContent = "";
    var lower = values.length ? Math.min.apply(null, values) : 0;
    COLOURS.forEach(function (c, i) {
      var upper = i < breaks.length ? breaks[i] : (values.length ? Math.max.apply(null, values) : 0);
      var item = document.createElement("span");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = c;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(fmt.format(lower) + "–" + fmt.format(upper)));
      legend.appendChild(item);
      lower = upper;
    });
    el.dataset.features = String(features.length);
    drawOverlays();
  }
  function drawOverlays() {
    if (overlay) map.removeLayer(overlay);
    var shown = {};
    Object.keys(OVERLAYS).forEach(function (k) {
      var box = document.getElementById("show-" + k);
      shown[k] = box ? box.checked : false;
    });
    var features = data.features.filter(function (f) { return shown[f.properties.kind]; });
    // Not interactive: the areas below keep their tooltips and popups; the legend says what a line is.
    overlay = L.geoJSON({ type: "FeatureCollection", features: features }, {
      interactive: false,
      style: function (f) {
        var o = OVERLAYS[f.properties.kind];
        return {
          color: o.color, weight: o.weight, dashArray: o.dashArray, fill: false,
          className: "map-overlay map-overlay-" + f.properties.kind,
        };
      },
    }).addTo(map);
    el.dataset.overlays = String(features.length);
    var counts = {};
    data.features.forEach(function (f) { counts[f.properties.kind] = (counts[f.properties.kind] || 0) + 1; });
    Object.keys(OVERLAYS).forEach(function (k) {
      var n = document.getElementById("count-" + k);
      if (n) n.textContent = "(" + (counts[k] || 0) + ")";
    });
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (json) {
      data = json;
      render();
      document.getElementById("measure").addEventListener("change", render);
      document.getElementById("layer").addEventListener("change", render);
      Object.keys(OVERLAYS).forEach(function (k) {
        var box = document.getElementById("show-" + k);
        if (box) box.addEventListener("change", drawOverlays);
      });
      el.dataset.ready = "true";
    });
})();
