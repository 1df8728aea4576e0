// The cells of a spatial analysis on a map (no tile server: cells and the area's outline on a neutral
// background, UX.md). Colours and labels come from the page (the legend's JSON), never computed here.
(function () {
  "use strict";
  var el = document.getElementById("spatial-map");
  if (!el || !window.L) return;
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.setPrefix(false);
  var legend = JSON.parse(document.getElementById("map-legend-data").textContent);
  var box = document.getElementById("map-legend");
  legend.forEach(function (item) {
    var entry = document.createElement("span");
    var sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = item.colour;
    entry.appendChild(sw);
    var text = item.label;
    if (item.cells !== undefined && item.cells !== null) text += " (" + item.cells + ")";
    entry.appendChild(document.createTextNode(text));
    box.appendChild(entry);
  });
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layers = [];
      if (data.outline) {
        layers.push(L.geoJSON(data.outline, {
          interactive: false,
          style: { color: "#6a00a8", weight: 3, fill: false, className: "map-overlay map-outline" },
        }).addTo(map));
      }
      var cells = L.geoJSON(data, {
        style: function (f) {
          return { color: "#555555", weight: 0.5, fillOpacity: 0.8, fillColor: f.properties.colour };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          // Text, never HTML: Leaflet inserts a string tooltip as HTML.
          var tip = document.createElement("span");
          var words = p.label;
          if (p.count !== null && p.count !== undefined) words += " · " + p.count + " " + el.dataset.labelReports;
          if (p.few) words += " (" + el.dataset.labelFew + ")";
          tip.textContent = words;
          layer.bindTooltip(tip);
        },
      }).addTo(map);
      layers.push(cells);
      var bounds = L.featureGroup(layers).getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
      else map.setView([55.68, 12.57], 12);
      el.dataset.features = String(data.features.length);
      el.dataset.ready = "true";
    });
})();
