// The add-a-place form's map: the programme's area outlines (from the areas GeoJSON, EPSG:4326) on a
// neutral background (no tile server, as the areas map); a click puts the point there, filling in the
// latitude and longitude and emptying the easting and northing (the form takes one pair only).
(function () {
  "use strict";
  var el = document.getElementById("place-map");
  if (!el || !window.L) return;
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  var x = document.getElementById("id_x");
  var y = document.getElementById("id_y");
  if (!lat || !lon) return;
  var wanted = {};
  (el.dataset.areas || "").split(",").forEach(function (id) { if (id) wanted[id] = true; });
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.setView([56.0, 10.5], 7); // Denmark, until the outlines are in
  var marker = null;

  function number(input) {
    var v = parseFloat(String(input.value || "").replace(",", "."));
    return isFinite(v) ? v : null;
  }
  function place(latlng) {
    if (marker) marker.setLatLng(latlng);
    // a circle (SVG), not the image marker: nothing to fetch, and it reads in print
    else marker = L.circleMarker(latlng, { radius: 8, color: "#bd0026", weight: 3, fillOpacity: 0.6, interactive: false }).addTo(map);
  }
  function fromInputs() {
    var a = number(lat), b = number(lon);
    if (a !== null && b !== null && a >= -90 && a <= 90 && b >= -180 && b <= 180) place([a, b]);
  }

  map.on("click", function (e) {
    // 1e-6 degrees is about 10 cm, as the areas' GeoJSON is rounded
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    if (x) x.value = "";
    if (y) y.value = "";
    place(e.latlng);
    el.dataset.clicked = "true";
  });
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);

  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (json) {
      var features = json.features.filter(function (f) {
        return wanted[String(f.id)] && f.properties.kind !== "buffer";
      });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        // clicks go through to the map: the outline only shows where the programme works
        interactive: false,
        style: function () { return { color: "#6a00a8", weight: 3, fillOpacity: 0.08 }; },
      }).addTo(map);
      if (features.length) map.fitBounds(layer.getBounds(), { padding: [30, 30] });
      fromInputs();
      el.dataset.features = String(features.length);
      el.dataset.ready = "true";
    });
})();
