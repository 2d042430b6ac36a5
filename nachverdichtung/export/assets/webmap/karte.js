/* Map library of nachverdichtung: builds the layers of karte.html from the compact payload.
 *
 * The page is a folium map (see webmap_elements.py); each folium element's script calls one function
 * of NVK, in this order: load (the payload, once), then the layers and controls, then ready.
 *
 * NV = {titel, untertitel, klassen: [{name, farbe}], kriterien: [{name, titel, einheit, stellen}],
 *       zeilen: [{titel, w: [string index per area]}], s: [strings],
 *       a: {id, k, c: [[class per area] per criterion], v: [[value] per criterion],
 *           g: [[reason string index] per criterion], f, e, st, m, geom: [GeoJSON geometry]},
 *       ctx: {flurstuecke: [...], gebaeude: [...], strassen: [...]}}
 * Hooks for tests: window.nvMap, window.nvAreaCount, window.nvAreaLayer(id), window.nvReady.
 */
var NVK = (function () {
  "use strict";
  var NV = null, A = null, S = null, K = null, C = null, n = 0, T = null, byClass = null;
  var areaLayers = [], contexts = [], titelBox = null;

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
  // "nicht bewertet" is drawn as a dashed outline with a faint fill, so it cannot be taken for a building.
  function unrated(k) { return K[k].name === "nicht bewertet"; }
  function mark(k) {
    if (unrated(k)) return '<span class="nv-mark" style="background:#eceff1;border:1.5px dashed #37474f"></span>';
    return '<span class="nv-mark" style="background:' + K[k].farbe + '"></span>';
  }
  function areaStyle(colour, k) {
    if (k !== undefined && unrated(k)) {
      return {color: "#37474f", weight: 1.8, opacity: 1, dashArray: "5 4", fillColor: colour, fillOpacity: 0.12};
    }
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
    var lines = NV.zeilen.map(function (z) {
      var t = S[z.w[i]];
      return t ? "<p><b>" + esc(z.titel) + ":</b> " + esc(t) + "</p>" : "";
    }).join("");
    return '<div class="nv-popup"><h3>Fläche ' + esc(A.id[i]) + "</h3>" +
      '<p class="nv-gesamt">' + mark(A.k[i]) + "<b>" + esc(K[A.k[i]].name) + "</b></p>" +
      "<p>" + esc(fmt(A.m[i], 0, "m²")) + (S[A.st[i]] ? " · " + esc(S[A.st[i]]) : "") + "</p>" +
      '<table class="nv-tab"><thead><tr><th>Kriterium</th><th>Klasse</th><th>Wert</th><th>Begründung</th></tr></thead>' +
      "<tbody>" + rows + "</tbody></table>" +
      '<p class="nv-flst"><b>Flurstücke:</b> ' + flurstuecke(S[A.f[i]]) + "</p>" +
      (S[A.e[i]] ? '<p><b>Entscheidende Kriterien:</b> ' + esc(S[A.e[i]]) + "</p>" : "") + lines + "</div>";
  }
  // Keep an opened popup clear of the layer control on the right.
  var POPUP = {maxWidth: 640, minWidth: 360, autoPanPaddingTopLeft: [20, 20], autoPanPaddingBottomRight: [280, 20]};

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
  function syncContext() { contexts.forEach(function (g) { g.nvSync(); }); }

  /** Parse the payload of the <script type="application/json" id=...> block; set up the map. */
  function load(id, map) {
    T = window.nvTimes = {start: performance.now()};
    NV = window.NV = JSON.parse(document.getElementById(id).textContent);
    T.daten = performance.now();
    A = NV.a; S = NV.s; K = NV.klassen; C = NV.kriterien; n = A.id.length;
    byClass = K.map(function () { return []; });
    for (var i = 0; i < n; i++) byClass[A.k[i]].push({type: "Feature", geometry: A.geom[i], properties: {i: i}});
    window.nvMap = map;
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    // Context lies in its own pane (own canvas) below the areas, whenever its pieces are added.
    map.createPane("nvUmgebung").style.zIndex = 350;
    map.on("overlayadd", function (e) { if (e.layer.nvBuild) e.layer.nvBuild(); });
    // The title box gives way to an open popup; the hover tooltip closes.
    map.on("popupopen", function () {
      if (titelBox) L.DomUtil.addClass(titelBox.getContainer(), "nv-aus");
      areaLayers.forEach(function (l) { l.closeTooltip(); });
    });
    map.on("popupclose", function () { if (titelBox) L.DomUtil.removeClass(titelBox.getContainer(), "nv-aus"); });
    map.on("moveend overlayadd overlayremove", syncContext);
    return NV;
  }

  /** Context layer ``key`` of NV.ctx: drawn from street zoom on, piece by piece for the view. */
  function contextLayer(map, key, style) {
    // Not clickable, so clicks reach the areas; below street zoom it would be a grey smear.
    var geoms = NV.ctx[key], group = L.layerGroup(), inner = null, box = null, built = null;
    var minZoom = NV.umgebung_ab_zoom;
    group.nvSync = function () {
      var show = map.hasLayer(group) && map.getZoom() >= minZoom;
      if (show && !inner) {
        inner = L.geoJSON(null, {style: style, interactive: false, pane: "nvUmgebung"});
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
    contexts.push(group);
    T.umgebung = performance.now();
    return group;
  }

  /** The areas of overall class ``k``: one GeoJSON layer, tooltip and popup bound once. */
  function classLayer(map, k) {
    var lyr = L.geoJSON(byClass[k], {style: areaStyle(K[k].farbe, k)});
    lyr.bindTooltip(tooltip, {sticky: true});
    lyr.bindPopup(popup, POPUP);
    areaLayers.push(lyr);
    return lyr;
  }

  /** Every area coloured by ``codes[i]`` (class codes), labelled ``titel``; built only when first switched on. */
  function codedLayer(codes, titel) {
    var group = L.featureGroup();
    group.nvBuild = function () {
      var feats = new Array(n);
      for (var i = 0; i < n; i++) feats[i] = {type: "Feature", geometry: A.geom[i], properties: {i: i}};
      var lyr = L.geoJSON(feats, {style: function (f) { var k = codes[f.properties.i]; return areaStyle(K[k].farbe, k); }});
      group.addLayer(lyr);
      group.bindTooltip(function (l) {
        var i = l.feature.properties.i, k = codes[i];
        return "<b>Fläche " + esc(A.id[i]) + "</b><br>" + esc(titel) + ": " + mark(k) + esc(K[k].name);
      }, {sticky: true});
      group.bindPopup(popup, POPUP);
      group.nvBuild = null;
    };
    return group;
  }

  /** Every area coloured by criterion ``j``'s class. */
  function criterionLayer(map, j) { return codedLayer(A.c[j], C[j].titel); }

  /** Every area coloured by its overall class in scenario ``j`` (``NV.szenarien``). */
  function scenarioLayer(map, j) { return codedLayer(A.sz[j], NV.szenarien[j].titel); }

  /** The provisional class (NV.a.kv) of the areas still "nicht bewertet": dashed, built when switched on. */
  function provisionalLayer(map) {
    var group = L.featureGroup();
    group.nvBuild = function () {
      var feats = [];
      for (var i = 0; i < n; i++) {
        if (unrated(A.k[i])) feats.push({type: "Feature", geometry: A.geom[i], properties: {i: i}});
      }
      var lyr = L.geoJSON(feats, {style: function (f) {
        var k = A.kv[f.properties.i];
        return {color: K[k].farbe, weight: 2.2, opacity: 1, dashArray: "2 4", fillColor: K[k].farbe, fillOpacity: 0.35};
      }});
      group.addLayer(lyr);
      group.bindTooltip(function (l) {
        var i = l.feature.properties.i, k = A.kv[i];
        return "<b>Fläche " + esc(A.id[i]) + "</b><br>vorläufig " + mark(k) + esc(K[k].name);
      }, {sticky: true});
      group.bindPopup(popup, POPUP);
      group.nvBuild = null;
    };
    return group;
  }

  /** Legend: the classes with their counts, the context symbols. */
  function legend(map) {
    var ctl = L.control({position: "bottomright"});
    ctl.onAdd = function () {
      var div = L.DomUtil.create("div", "nv-legende");
      var html = "<b>Eignung</b>";
      K.forEach(function (kl, k) { html += "<div>" + mark(k) + esc(kl.name) + " (" + byClass[k].length + ")</div>"; });
      html += '<div><span class="nv-mark nv-geb"></span>Gebäude</div>' +
        '<div><span class="nv-mark nv-flst-mark"></span>Flurstück</div>' +
        '<div><span class="nv-mark nv-str"></span>Straße</div>' +
        '<div class="nv-hinweis">Umgebung wird ab Zoomstufe ' + NV.umgebung_ab_zoom + " gezeigt</div>";
      div.innerHTML = html;
      return div;
    };
    return ctl.addTo(map);
  }

  /** Title box: title, study area, number of areas. */
  function title(map) {
    titelBox = L.control({position: "topleft"});
    titelBox.onAdd = function () {
      var div = L.DomUtil.create("div", "nv-titel");
      div.innerHTML = "<b>" + esc(NV.titel) + "</b>" + (NV.untertitel ? "<br>" + esc(NV.untertitel) : "") +
        "<br><small>" + n + " Potenzialflächen · Klick auf eine Fläche zeigt die Bewertung</small>";
      return div;
    };
    return titelBox.addTo(map);
  }

  /** Last call: build the context for the view, publish the test hooks, mark the first painted frame. */
  function ready(map) {
    T.flaechen = performance.now();
    syncContext();
    T.eingepasst = performance.now();
    var count = 0;
    areaLayers.forEach(function (l) { if (map.hasLayer(l)) count += l.getLayers().length; });
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
  }

  return {load: load, contextLayer: contextLayer, classLayer: classLayer, criterionLayer: criterionLayer,
          scenarioLayer: scenarioLayer,
          provisionalLayer: provisionalLayer,
          legend: legend, title: title, ready: ready, esc: esc, fmt: fmt};
})();
