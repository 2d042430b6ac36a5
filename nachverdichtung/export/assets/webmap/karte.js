/* Interactive map of the rated areas (nachverdichtung). Reads the global NV written by webmap.py.
 *
 * NV = {title, untertitel, klassen: [{name, farbe}], kriterien: [{name, titel, einheit, stellen}],
 *       s: [strings], a: {id, k, c: [[class per area] per criterion], v: [[value] per criterion],
 *       g: [[reason string index] per criterion], f, e, st, m, geom: [GeoJSON geometry]},
 *       ctx: {flurstuecke: [...], gebaeude: [...], strassen: [...]}}
 * Hooks for tests: window.nvMap, window.nvAreaCount, window.nvAreaLayer(id), window.nvReady.
 */
(function () {
  "use strict";
  var T = window.nvTimes = {start: performance.now()};
  var NV = window.NV = JSON.parse(document.getElementById("nv-daten").textContent);
  T.daten = performance.now();
  var A = NV.a, S = NV.s, K = NV.klassen, C = NV.kriterien;
  var n = A.id.length;

  function esc(t) {
    return String(t).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }
  function fmt(v, digits, unit) {
    if (v === null || v === undefined) return "–";
    var parts = Math.abs(v).toFixed(digits).split(".");
    var int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    var txt = (v < 0 ? "−" : "") + int + (parts.length > 1 ? "," + parts[1] : "");
    return unit ? txt + " " + unit : txt;
  }
  // ALKIS flstkennz ("07256600700023______") grouped by Gemarkung and Flur:
  // "Gemarkung 2566, Flur 7: 23, 24/1"; anything else is shown as it is.
  function flurstuecke(text) {
    var groups = {}, order = [], other = [];
    text.split(",").forEach(function (t) {
      t = t.trim();
      var m = /^\d{2}(\d{4})(\d{3})(\d{5})(\d{4}|_{4})/.exec(t);
      if (!m) { if (t) other.push(esc(t)); return; }
      var key = "Gemarkung " + m[1] + ", Flur " + parseInt(m[2], 10);
      var nenner = m[4].charAt(0) === "_" ? 0 : parseInt(m[4], 10);
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push('<span title="' + esc(t) + '">' + parseInt(m[3], 10) + (nenner ? "/" + nenner : "") + "</span>");
    });
    return order.map(function (k) { return k + ": " + groups[k].join(", "); }).concat(other).join("; ");
  }
  function mark(k) {
    return '<span class="nv-mark" style="background:' + K[k].farbe + '"></span>';
  }

  var map = L.map("karte", {preferCanvas: true, zoomSnap: 0.25, maxZoom: 21});
  window.nvMap = map;
  // The view first (bounds computed in Python), so every layer is projected only once.
  if (NV.bbox) map.fitBounds([[NV.bbox[1], NV.bbox[0]], [NV.bbox[3], NV.bbox[2]]], {padding: [20, 20]});
  else map.setView([51.0, 10.0], 6);
  L.control.scale({imperial: false, maxWidth: 160}).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  // Base layers: none by default (works offline); OpenStreetMap only when switched on.
  var leer = L.layerGroup();
  var osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 21, maxNativeZoom: 19,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende'
  });
  leer.addTo(map);

  // Bounding boxes [w, s, e, n] of GeoJSON geometries, flat.
  function geomBoxes(geoms) {
    var out = new Float64Array(4 * geoms.length);
    function walk(c, i) {
      if (typeof c[0] === "number") {
        if (c[0] < out[4 * i]) out[4 * i] = c[0];
        if (c[1] < out[4 * i + 1]) out[4 * i + 1] = c[1];
        if (c[0] > out[4 * i + 2]) out[4 * i + 2] = c[0];
        if (c[1] > out[4 * i + 3]) out[4 * i + 3] = c[1];
      } else {
        for (var q = 0; q < c.length; q++) walk(c[q], i);
      }
    }
    for (var i = 0; i < geoms.length; i++) {
      out[4 * i] = out[4 * i + 1] = Infinity;
      out[4 * i + 2] = out[4 * i + 3] = -Infinity;
      walk(geoms[i].coordinates, i);
    }
    return out;
  }

  // Context (drawn first, so the areas lie on top; not clickable, so clicks reach the areas).
  // Shown from street zoom on only: below it, it would be a grey smear and slow down a large district.
  var ctx = NV.ctx, overlays = {}, minZoom = NV.umgebung_ab_zoom;
  var context = [
    ["Straßen", ctx.strassen, {color: "#b9b9b9", weight: 1, fillColor: "#ececec", fillOpacity: 1}],
    ["Flurstücke", ctx.flurstuecke, {color: "#8a8a8a", weight: 0.7, fill: false}],
    ["Gebäude", ctx.gebaeude, {color: "#4d4d4d", weight: 0.6, fillColor: "#8c8c8c", fillOpacity: 0.85}]
  ].map(function (spec) {
    // Features are added in pieces: those whose bounding box touches the (padded) view.
    var geoms = spec[1], group = L.layerGroup(), inner = null, box = null, built = null;
    group.nvSync = function () {
      var show = map.hasLayer(group) && map.getZoom() >= minZoom;
      if (show && !inner) {
        inner = L.geoJSON(null, {style: spec[2], interactive: false});
        box = geomBoxes(geoms);
        built = new Uint8Array(geoms.length);
      }
      if (show) {
        var v = map.getBounds().pad(0.5), w = v.getWest(), e = v.getEast(), so = v.getSouth(), no = v.getNorth();
        var feats = [];
        for (var i = 0; i < geoms.length; i++) {
          if (built[i] || box[4 * i] > e || box[4 * i + 2] < w || box[4 * i + 1] > no || box[4 * i + 3] < so) continue;
          built[i] = 1;
          feats.push({type: "Feature", geometry: geoms[i], properties: {}});
        }
        if (feats.length) inner.addData(feats);
        if (!group.hasLayer(inner)) group.addLayer(inner);
      } else if (inner && group.hasLayer(inner)) {
        group.removeLayer(inner);
      }
    };
    group.addTo(map);
    overlays['<span class="nv-ctx">' + spec[0] + "</span>"] = group;
    return group;
  });
  function syncContext() { context.forEach(function (g) { g.nvSync(); }); }
  T.umgebung = performance.now();
  // Areas: one GeoJSON layer per overall class; the feature keeps its row number in properties.i.
  var byClass = K.map(function () { return []; });
  for (var i = 0; i < n; i++) byClass[A.k[i]].push({type: "Feature", geometry: A.geom[i], properties: {i: i}});

  function areaStyle(colour) {
    return {color: colour, weight: 1.6, opacity: 1, fillColor: colour, fillOpacity: 0.6};
  }
  function tooltip(layer) {
    var i = layer.feature.properties.i;
    return "<b>Fläche " + esc(A.id[i]) + "</b><br>" + mark(A.k[i]) + esc(K[A.k[i]].name);
  }
  function popup(layer) {
    var i = layer.feature.properties.i;
    var rows = C.map(function (c, j) {
      var k = A.c[j][i];
      return "<tr><td>" + esc(c.titel) + '</td><td class="nv-k">' + mark(k) + esc(K[k].name) + '</td><td class="nv-v">' +
        esc(fmt(A.v[j][i], c.stellen, c.einheit)) + "</td><td>" + esc(S[A.g[j][i]]) + "</td></tr>";
    }).join("");
    return '<div class="nv-popup"><h3>Fläche ' + esc(A.id[i]) + "</h3>" +
      '<p class="nv-gesamt">' + mark(A.k[i]) + "<b>" + esc(K[A.k[i]].name) + "</b></p>" +
      "<p>" + esc(fmt(A.m[i], 0, "m²")) + (S[A.st[i]] ? " · " + esc(S[A.st[i]]) : "") + "</p>" +
      '<table class="nv-tab"><thead><tr><th>Kriterium</th><th>Klasse</th><th>Wert</th><th>Begründung</th></tr></thead>' +
      "<tbody>" + rows + "</tbody></table>" +
      '<p class="nv-flst"><b>Flurstücke:</b> ' + flurstuecke(S[A.f[i]]) + "</p>" +
      (S[A.e[i]] ? '<p><b>Entscheidende Kriterien:</b> ' + esc(S[A.e[i]]) + "</p>" : "") + "</div>";
  }

  // Keep an opened popup clear of the layer control on the right.
  var POPUP = {maxWidth: 640, minWidth: 360, autoPanPaddingTopLeft: [20, 20], autoPanPaddingBottomRight: [280, 20]};
  var areaLayers = [], count = 0;
  syncContext();
  K.forEach(function (kl, k) {
    var lyr = L.geoJSON(byClass[k], {style: areaStyle(kl.farbe)});
    lyr.bindTooltip(tooltip, {sticky: true});
    lyr.bindPopup(popup, POPUP);
    lyr.addTo(map);
    count += lyr.getLayers().length;
    areaLayers.push(lyr);
    overlays[mark(k) + esc(kl.name) + " (" + byClass[k].length + ")"] = lyr;
  });

  T.flaechen = performance.now();
  // One optional layer per criterion (its class), built only when first switched on.
  C.forEach(function (c, j) {
    var group = L.featureGroup();
    group.nvBuild = function () {
      var feats = new Array(n);
      for (var i = 0; i < n; i++) feats[i] = {type: "Feature", geometry: A.geom[i], properties: {i: i}};
      var lyr = L.geoJSON(feats, {style: function (f) { return areaStyle(K[A.c[j][f.properties.i]].farbe); }});
      group.addLayer(lyr);
      group.bindTooltip(function (l) {
        var i = l.feature.properties.i, k = A.c[j][i];
        return "<b>Fläche " + esc(A.id[i]) + "</b><br>" + esc(c.titel) + ": " + mark(k) + esc(K[k].name);
      }, {sticky: true});
      group.bindPopup(popup, POPUP);
      group.nvBuild = null;
    };
    overlays["Kriterium: " + esc(c.titel)] = group;
  });
  map.on("overlayadd", function (e) { if (e.layer.nvBuild) e.layer.nvBuild(); });

  L.control.layers({"Ohne Hintergrund": leer, "OpenStreetMap (nur online)": osm}, overlays,
                   {collapsed: false, position: "topright"}).addTo(map);

  var legende = L.control({position: "bottomright"});
  legende.onAdd = function () {
    var div = L.DomUtil.create("div", "nv-legende");
    var html = "<b>Eignung</b>";
    K.forEach(function (kl, k) { html += "<div>" + mark(k) + esc(kl.name) + " (" + byClass[k].length + ")</div>"; });
    html += '<div><span class="nv-mark nv-geb"></span>Gebäude</div>' +
      '<div><span class="nv-mark nv-flst-mark"></span>Flurstück</div>' +
      '<div><span class="nv-mark nv-str"></span>Straße</div>' +
      '<div class="nv-hinweis">Umgebung wird ab Zoomstufe ' + minZoom + " gezeigt</div>";
    div.innerHTML = html;
    return div;
  };
  legende.addTo(map);

  var titel = L.control({position: "topleft"});
  titel.onAdd = function () {
    var div = L.DomUtil.create("div", "nv-titel");
    div.innerHTML = "<b>" + esc(NV.titel) + "</b>" + (NV.untertitel ? "<br>" + esc(NV.untertitel) : "") +
      "<br><small>" + n + " Potenzialflächen · Klick auf eine Fläche zeigt die Bewertung</small>";
    return div;
  };
  titel.addTo(map);
  // The title box gives way to an open popup; the hover tooltip closes.
  map.on("popupopen", function () {
    L.DomUtil.addClass(titel.getContainer(), "nv-aus");
    areaLayers.forEach(function (l) { l.closeTooltip(); });
  });
  map.on("popupclose", function () { L.DomUtil.removeClass(titel.getContainer(), "nv-aus"); });

  map.on("moveend overlayadd overlayremove", syncContext);
  T.eingepasst = performance.now();
  window.nvAreaCount = count;
  window.nvAreaLayer = function (id) {
    for (var q = 0; q < areaLayers.length; q++) {
      var ls = areaLayers[q].getLayers();
      for (var r = 0; r < ls.length; r++) if (A.id[ls[r].feature.properties.i] === id) return ls[r];
    }
    return null;
  };
  // Ready once the first frame with all layers has been painted.
  requestAnimationFrame(function () { setTimeout(function () { window.nvReady = T.bereit = performance.now(); }, 0); });
})();
