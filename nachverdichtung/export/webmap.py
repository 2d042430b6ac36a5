"""Interactive web map (``karte.html``): a folium map that works offline and stays fast.

:func:`karte` returns a :class:`folium.Map` (extend it with your own layers; it shows inline in
Jupyter); :func:`write_map` saves it as one self-contained HTML file. folium's default CDN links are
dropped and Leaflet (vendored in ``assets/leaflet``, BSD-2-Clause), its images as data URIs, the map
script (``assets/webmap``) and the data are inlined, so opening the page from disk makes no network
request (see :mod:`nachverdichtung.export.mapelements`). An OpenStreetMap background can be switched
on when a network exists.

The data are compact: geometries are simplified in the metric CRS, converted to EPSG:4326 only here,
rounded to 6 decimals (about 0.1 m), and each area carries only indices into a shared string table;
the popup table is built in the browser. Areas are drawn as one GeoJSON layer per class on a canvas.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ..criteria import REGISTRY
from ..criteria.base import KLASSEN, UNBEWERTET
from ..parallel import elementwise, threads
from .mapelements import (BlankBase, ClassLayer, ContextLayer, CriterionLayer, Ids, InlineAssets, Legend,
                          MapData, MetricScale, Page, ProvisionalLayer, Ready, ScenarioLayer, TitleBox, offline)

__all__ = ["CLASS_COLOURS", "POPUP_LINES", "karte", "write_map", "map_html", "map_data", "show_map"]

#: Fill colour per class (ColorBrewer RdYlGn, grey for "nicht bewertet").
CLASS_COLOURS = {"geeignet": "#1a9641", "bedingt geeignet": "#fdae61", "nicht geeignet": "#d7191c",
                 "nicht bewertet": "#9e9e9e"}
#: Unit and decimals of a key measure, by the suffix of its column name.
_UNITS = {"_pct": ("%", 1), "_m2": ("m²", 0), "_m": ("m", 1), "_grad": ("°", 1), "_anzahl": ("", 0),
          "_db": ("dB(A)", 0), "_k": ("K", 1)}
#: Context (parcels, buildings, roads) is drawn from this zoom level on (street zoom).
CONTEXT_MIN_ZOOM = 15
#: Above this many features in a context layer only the surroundings of the areas are shown.
CONTEXT_ALL_MAX = 5000
#: Extra popup lines: area column → label. A line is shown where the area's text is not empty;
#: a column the assessment lacks is skipped (other modules add their columns here).
POPUP_LINES: dict[str, str] = {"hebel": "Was müsste sich ändern?", "vorlaeufig": "Vorläufige Klasse",
                               "bodenordnung": "Bodenordnung", "beteiligung": "Beteiligung der Eigentümer"}
#: Context layers: payload key, layer title, Leaflet path style (drawn in this order, below the areas).
CONTEXT_LAYERS = (
    ("strassen", "Straßen", {"color": "#b9b9b9", "weight": 1, "fillColor": "#ececec", "fillOpacity": 1}),
    ("flurstuecke", "Flurstücke", {"color": "#8a8a8a", "weight": 0.7, "fill": False}),
    ("gebaeude", "Gebäude", {"color": "#4d4d4d", "weight": 0.6, "fillColor": "#8c8c8c", "fillOpacity": 0.85}),
)
#: The Innenbereich boundary: dashed violet line, no fill (drawn from street zoom on, like all context).
SETTLEMENT_STYLE = {"color": "#7a3e9d", "weight": 2, "dashArray": "6 4", "fill": False}
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende'


def karte(assessment, *, simplify_m: float = 0.5, context_m: float = 50.0, height: int = 560) -> folium.Map:
    """The map of ``assessment`` as a :class:`folium.Map`.

    Parameters
    ----------
    assessment
        The result of :func:`nachverdichtung.pipeline.assess`.
    simplify_m, context_m
        Simplification tolerance and the distance around the areas within which context is shown
        for large districts (see :func:`map_data`).
    height
        Height in pixels of the inline view in Jupyter.

    Returns
    -------
    folium.Map
        Layers per class (on), per criterion (off), context (from street zoom on), legend, title,
        metric scale, layer control. Layers added afterwards appear in the layer control too;
        note that folium plugins may load their own files from CDNs.

    Examples
    --------
    >>> m = karte(result)                                        # doctest: +SKIP
    >>> folium.Marker([49.44, 7.76], tooltip="Ortstermin").add_to(m)  # doctest: +SKIP
    >>> m.save("karte.html")                                     # doctest: +SKIP
    """
    data = map_data(assessment, simplify_m=simplify_m, context_m=context_m)
    return _map(assessment, data, MapData(_data_json(data)), height=height)


def _map(assessment, data: dict, payload: MapData, *, height: int = 560) -> folium.Map:
    """The map of :func:`karte` for ``data`` (its ``ctx`` may still be missing) and its ``payload``."""
    ids = Ids()
    page = ids(Page(data["titel"], height=height))
    bbox = data["bbox"]
    m = folium.Map(location=None if bbox else [51.0, 10.0], zoom_start=6, tiles=None, prefer_canvas=True,
                   zoom_snap=0.25, maxZoom=21)
    ids(offline(m)).add_to(page)
    for element in (InlineAssets(), payload):
        ids(element).add_to(m)
    if bbox:  # the view first, so every layer is projected only once
        m.fit_bounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], padding=(20, 20))
    ids(MetricScale()).add_to(m)
    ids(BlankBase()).add_to(m)
    ids(folium.TileLayer(OSM_URL, attr=OSM_ATTRIBUTION, name="OpenStreetMap (nur online)", max_zoom=21,
                         max_native_zoom=19, overlay=False, show=False)).add_to(m)
    for key, title, style in CONTEXT_LAYERS:
        ids(ContextLayer(key, title, style)).add_to(m)
    settlement = _settlement(assessment)
    if settlement is not None:
        derived = (settlement["quelle"] == "abgeleitet").any()
        ids(ContextLayer("innenbereich", "Innenbereich (abgeleitet)" if derived else "Innenbereich",
                         SETTLEMENT_STYLE)).add_to(m)
    codes = np.bincount(np.asarray(data["a"]["k"], dtype=int), minlength=len(KLASSEN))
    for k, kl in enumerate(data["klassen"]):
        ids(ClassLayer(k, kl["name"], kl["farbe"], int(codes[k]))).add_to(m)
    n_open = int(codes[KLASSEN.index(UNBEWERTET)])
    if n_open and "kv" in data["a"]:
        ids(ProvisionalLayer(n_open)).add_to(m)
    for j, c in enumerate(data["kriterien"]):
        ids(CriterionLayer(j, c["titel"])).add_to(m)
    for j, sc in enumerate(data["szenarien"]):
        ids(ScenarioLayer(j, sc["titel"])).add_to(m)
    for element in (Legend(), TitleBox(), folium.LayerControl(collapsed=False, position="topright"), Ready()):
        ids(element).add_to(m)
    return m


def write_map(assessment, folder: Path, *, simplify_m: float = 0.5, context_m: float = 50.0) -> list[Path]:
    """Write ``karte.html`` into ``folder``.

    Parameters
    ----------
    assessment
        The result of :func:`nachverdichtung.pipeline.assess`.
    folder
        Target folder (must exist).
    simplify_m, context_m
        See :func:`karte`.

    Returns
    -------
    list of Path
        ``[folder / "karte.html"]``.

    Examples
    --------
    >>> write_map(result, Path("data/processed"))  # doctest: +SKIP
    """
    path = Path(folder) / "karte.html"
    with _outlines_drawn(assessment, simplify_m) as outlines:
        data, simple = _area_payload(assessment, simplify_m)
        payload = MapData(_json_head(data))
        m = _map(assessment, data, payload)
        with payload.streamed() as marker:  # the page around the payload (a random marker: found once)
            head, tail = m.get_root().render().split(marker)
        try:
            with path.open("w", encoding="utf-8") as fh:
                fh.write(head)  # the page and the areas first, while the context is still being drawn
                fh.writelines(payload.parts)
                fh.writelines(_json_context(_context_layers(assessment, simple, context_m, outlines())))
                fh.write(tail)
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written page
            raise
    return [path]


def map_html(assessment, *, simplify_m: float = 0.5, context_m: float = 50.0) -> str:
    """The complete, self-contained HTML page of the map."""
    return karte(assessment, simplify_m=simplify_m, context_m=context_m).get_root().render()


def show_map(assessment, *, height: int = 560) -> folium.Map:
    """The map of ``assessment`` for inline display in a notebook (same as :func:`karte`)."""
    return karte(assessment, height=height)


def map_data(assessment, *, simplify_m: float = 0.5, context_m: float = 50.0) -> dict:
    """The compact payload of the map.

    Parameters
    ----------
    assessment
        The assessment.
    simplify_m
        Douglas–Peucker tolerance in metres, applied in the metric CRS before reprojection.
    context_m
        When a context layer has more than :data:`CONTEXT_ALL_MAX` features, only those within this
        distance of an area (of its simplified outline) are kept.

    Returns
    -------
    dict
        ``titel``, ``untertitel``, ``bbox``, ``umgebung_ab_zoom``, ``klassen``, ``kriterien``, ``zeilen``
        (extra popup lines, see :data:`POPUP_LINES`), ``s`` (string table), ``a`` (columns per area;
        ``a["geom"]`` is a list of GeoJSON geometry strings) and ``ctx`` (context geometry strings).
    """
    with _outlines_drawn(assessment, simplify_m) as outlines:
        payload, simple = _area_payload(assessment, simplify_m)
        payload["ctx"] = _context_layers(assessment, simple, context_m, outlines())
    return payload


@contextmanager
def _outlines_drawn(assessment, simplify_m: float):
    """Yield a function that returns :func:`_context_outlines`.

    The context outlines do not depend on the areas: with threads to spare they are drawn in the
    background while the block prepares the areas, and are cut to the areas' surroundings after.
    """
    if threads() < 2:
        yield lambda: _context_outlines(assessment, simplify_m)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="nv-karte") as background:
        yield background.submit(_context_outlines, assessment, simplify_m).result


def _area_payload(assessment, simplify_m: float) -> tuple[dict, np.ndarray]:
    """:func:`map_data` without ``ctx``, and the simplified outlines of the areas."""
    areas = assessment.areas
    crit = list(assessment.criteria)
    titles = assessment.titles()
    klassen = list(KLASSEN)
    k_code = {k: i for i, k in enumerate(klassen)}
    n = len(areas)

    def col(name, default=""):
        if name not in areas:
            return np.full(n, default, dtype=object)
        return areas[name].fillna(default).astype(str).to_numpy()

    # Deciding criteria by title (translated once per distinct combination).
    codes, combos = pd.factorize(col("entscheidend"))
    titled = np.array([", ".join(titles.get(x.strip(), x.strip()) for x in c.split(",") if x.strip())
                       for c in combos], dtype=object)
    entscheidend = titled[codes] if n else np.array([], dtype=object)
    # One string table for every text column (reasons repeat a lot).
    lines = {c: label for c, label in POPUP_LINES.items() if c in areas}
    # the provisional class is shown only where the overall class is still open
    provisional = np.where(col("klasse") == UNBEWERTET, col("vorlaeufig"), "").astype(object)
    texts = [col(f"{c}_grund") for c in crit] + [col("flurstuecke"), entscheidend, col("strasse")] \
        + [provisional if c == "vorlaeufig" else col(c) for c in lines]
    codes, strings = pd.factorize(np.concatenate(texts) if n else np.array([], dtype=object))
    codes = codes.reshape(len(texts), n) if n else np.zeros((len(texts), 0), dtype=int)

    # the areas are simplified once: for the map and for the buffer that selects their context
    simple = elementwise(shapely.simplify, areas.geometry.to_numpy(), simplify_m, preserve_topology=True)
    kriterien, values = _measures(areas, crit, titles)

    a = {
        "id": areas.index.astype(str).tolist(),
        "k": _class_codes(col("klasse", "nicht bewertet"), k_code),
        "c": [_class_codes(col(f"{c}_klasse", "nicht bewertet"), k_code) for c in crit],
        "v": values,
        "g": codes[: len(crit)].tolist(),
        "f": codes[len(crit)].tolist(),
        "e": codes[len(crit) + 1].tolist(),
        "st": codes[len(crit) + 2].tolist(),
        "kv": _class_codes(col("klasse_vorlaeufig", "nicht bewertet"), k_code),
        "m": pd.to_numeric(areas.get("flaeche_m2", pd.Series(np.nan, index=areas.index)), errors="coerce")
               .round(0).astype(float).replace({np.nan: None}).tolist(),
        "geom": _geojson(simple, areas.crs, None, keep_empty=True),
        "sz": [_class_codes(col(f"klasse_{sc.name}", "nicht bewertet"), k_code)
               for sc in assessment.config.scenarios],
    }
    zeilen = [{"titel": label, "w": codes[len(crit) + 3 + q].tolist()} for q, label in enumerate(lines.values())]
    layers = assessment.layers
    out = assessment.config.output
    gebiet = (assessment.manifest or {}).get("gebiet") or {}
    return {"titel": out.title, "untertitel": gebiet.get("name") or getattr(out, "study_area", "") or "",
            "bbox": _bbox(areas, layers), "umgebung_ab_zoom": CONTEXT_MIN_ZOOM,
            "klassen": [{"name": k, "farbe": CLASS_COLOURS[k]} for k in klassen],
            "kriterien": kriterien, "zeilen": zeilen, "s": [str(s) for s in strings], "a": a, "ctx": None,
            "szenarien": [{"titel": f"Szenario {sc.name}"} for sc in assessment.config.scenarios]}, simple


def _measures(areas, crit: list[str], titles: dict) -> tuple[list[dict], list[list]]:
    """Per criterion: its key measure (title, unit, decimals) and the rounded values of every area."""
    kriterien, values = [], []
    for c in crit:
        measure = REGISTRY[c].key_measure if c in REGISTRY else ""
        unit, digits = _unit(measure)
        column = f"{c}_{measure}"
        v = pd.to_numeric(areas[column], errors="coerce").round(digits) if measure and column in areas \
            else pd.Series(np.nan, index=areas.index)
        v = v.to_numpy(float)
        values.append(np.where(np.isnan(v), None, v).tolist())
        kriterien.append({"name": c, "titel": titles.get(c, c), "einheit": unit, "stellen": digits})
    return kriterien, values


#: Context layers: payload key and attribute of :class:`~nachverdichtung.layers.Layers`.
_CONTEXT = (("flurstuecke", "parcels"), ("gebaeude", "buildings"), ("strassen", "roads"))


def _context_outlines(assessment, simplify_m: float) -> dict[str, np.ndarray]:
    """The GeoJSON string (None: empty) of every parcel, building and road, and the Innenbereich strings."""
    layers = assessment.layers
    out = {}
    for key, attr in _CONTEXT:
        frame = getattr(layers, attr)
        empty = frame is None or len(frame) == 0
        out[key] = np.array([], dtype=object) if empty else _geojson_each(frame.geometry, frame.crs, simplify_m,
                                                                          fast=True)
    settlement = _settlement(assessment)
    if settlement is not None:
        # the Innenbereich boundary (given or derived): outlines only, simplified more coarsely
        out["innenbereich"] = _geojson_each(settlement.boundary, settlement.crs, max(simplify_m, 2.0))
    return out


def _settlement(assessment) -> gpd.GeoDataFrame | None:
    """The Innenbereich (given or derived), None if there is none."""
    settlement = getattr(assessment.candidates, "settlement", None)
    return settlement if settlement is not None and len(settlement) else None


def _context_layers(assessment, simple: np.ndarray, context_m: float,
                    outlines: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """The context strings of the map: a layer of more than :data:`CONTEXT_ALL_MAX` features only
    where a feature lies within ``context_m`` of an area (of its simplified outline)."""
    near = shapely.STRtree(elementwise(shapely.buffer, simple, context_m)) if len(simple) else None
    ctx = {}
    for key, strings in outlines.items():
        attr = dict(_CONTEXT).get(key)  # the Innenbereich is drawn whole
        frame = getattr(assessment.layers, attr) if attr else None
        if frame is not None and len(frame) > CONTEXT_ALL_MAX and near is not None:
            strings = strings[_near_any(frame.geometry, near, simple)]
        ctx[key] = strings[~np.equal(strings, None)].tolist()
    return ctx


def _bbox(areas: gpd.GeoDataFrame, layers, *, quantile: float = 0.02, pad_m: float = 60.0) -> list[float] | None:
    """Lon/lat bounds for the initial view: where the areas (or parcels) are, not where outliers are.

    With 50 or more features the box spans the 2 %–98 % quantiles of their centres, padded by
    ``pad_m``, so a single area far out in the fields does not shrink the settlement to a dot; fewer
    features are framed completely.
    """
    frame = areas if len(areas) else layers.parcels
    if frame is None or len(frame) == 0 or frame.geometry.is_empty.all():
        return None
    geoms = np.asarray(frame.geometry.array, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) >= 50:
        c = shapely.get_coordinates(elementwise(shapely.centroid, geoms))
        lo, hi = np.quantile(c, quantile, axis=0), np.quantile(c, 1 - quantile, axis=0)
        bounds = (lo[0] - pad_m, lo[1] - pad_m, hi[0] + pad_m, hi[1] + pad_m)
    else:
        bounds = shapely.total_bounds(geoms)
    box = gpd.GeoSeries([shapely.box(*bounds)], crs=frame.crs).to_crs(4326)
    return [round(float(v), 6) for v in box.total_bounds]


def _unit(measure: str) -> tuple[str, int]:
    for suffix, (unit, digits) in _UNITS.items():
        if measure.endswith(suffix):
            return unit, digits
    return "", 2


def _class_codes(values: np.ndarray, k_code: dict) -> list[int]:
    """The code in ``k_code`` of each class name ("nicht bewertet" for any other text), by one hash lookup."""
    found = pd.Index(list(k_code)).get_indexer(values)
    codes = np.array(list(k_code.values()))[found]
    codes[found < 0] = k_code["nicht bewertet"]
    return codes.tolist()


def _near_any(geoms: gpd.GeoSeries, near: shapely.STRtree, areas: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the ``geoms`` that intersect at least one geometry in the tree ``near``.

    The same as ``np.unique(near.query(geoms, predicate="intersects")[0])``, but a geometry is tested
    against the candidates its envelope meets only until one intersects: first against the one whose
    area (``areas``: the unbuffered outlines, in the order of the tree) has the envelope nearest to
    the geometry's centre (it intersects for 99 % of the context), then the geometries still open
    against all their other candidates.
    """
    g = np.asarray(geoms.array, dtype=object)
    feat, area = near.query(g)  # envelope pairs
    if (np.diff(feat) < 0).any():  # shapely lists them by feature already
        order = np.argsort(feat, kind="stable")
        feat, area = feat[order], area[order]
    buffers = near.geometries
    shapely.prepare(buffers)
    first = _nearest(feat, area, shapely.bounds(g), shapely.bounds(areas))
    hit = np.zeros(len(g), dtype=bool)
    for todo in (first, ~first):
        todo = np.flatnonzero(todo & ~hit[feat])
        todo = todo[np.argsort(area[todo], kind="stable")]  # by buffer: each one prepared in one thread
        a, f = area[todo], feat[todo]
        hit[f[elementwise(shapely.intersects, buffers[a], g[f], by=a)]] = True
    return np.flatnonzero(hit)


def _nearest(feat: np.ndarray, area: np.ndarray, fb: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Mask of one pair per feature (pairs sorted by feature): the area whose envelope (bounds ``ab``)
    is nearest to the centre of the feature's envelope (bounds ``fb``), the first such on a tie."""
    first = np.zeros(len(feat), dtype=bool)
    if not len(feat):
        return first
    cx, cy = (fb[feat, 0] + fb[feat, 2]) / 2, (fb[feat, 1] + fb[feat, 3]) / 2
    dx = np.maximum(0.0, np.maximum(ab[area, 0] - cx, cx - ab[area, 2]))
    dy = np.maximum(0.0, np.maximum(ab[area, 1] - cy, cy - ab[area, 3]))
    d = dx * dx + dy * dy
    starts = np.flatnonzero(np.r_[True, feat[1:] != feat[:-1]])
    at = np.flatnonzero(d == np.repeat(np.minimum.reduceat(d, starts), np.diff(np.r_[starts, len(d)])))
    first[at[np.r_[True, feat[at][1:] != feat[at][:-1]]]] = True
    return first


def _geojson(geoms, crs, simplify_m: float | None, *, keep_empty: bool = False, fast: bool = False) -> list[str]:
    """GeoJSON geometry strings in EPSG:4326: simplified in ``crs``, rounded to 1e-6 degrees.

    Empty or missing geometries are dropped, or kept as ``"null"`` with ``keep_empty`` (areas stay
    aligned with their attribute columns). ``simplify_m=None``: already simplified. ``fast`` (the
    context layers, shown from street zoom on): plain Douglas–Peucker, about five times faster
    than the topology-preserving variant and at 0.5 m indistinguishable on screen; any outline it
    would make invalid or empty is simplified topology-preserving instead. Every step treats each
    geometry on its own, so the steps run chunk by chunk in threads (:func:`.parallel.elementwise`).
    """
    out = _geojson_each(geoms, crs, simplify_m, fast=fast)
    bad = np.equal(out, None)
    if not keep_empty:
        return out[~bad].tolist()
    out[bad] = "null"
    return out.tolist()


def _geojson_each(geoms, crs, simplify_m: float | None, *, fast: bool = False) -> np.ndarray:
    """The GeoJSON string of each geometry as :func:`_geojson` makes it, None where it is empty."""
    if len(geoms) == 0:
        return np.array([], dtype=object)
    g = np.asarray(geoms.array if isinstance(geoms, gpd.GeoSeries) else geoms, dtype=object)
    transformer = Transformer.from_crs(crs, 4326, always_xy=True) if crs is not None else None
    return elementwise(_geojson_chunk, g, transformer, simplify_m, fast)


def _geojson_chunk(g: np.ndarray, transformer, simplify_m: float | None, fast: bool) -> np.ndarray:
    """The GeoJSON text of each geometry of ``g``, None where the result is missing or empty."""
    if simplify_m is not None:
        g = _simplify(g, simplify_m, fast=fast)
    g = _wgs84_rounded(g, transformer)
    bad = shapely.is_missing(g) | shapely.is_empty(g)
    if not bad.any():
        return shapely.to_geojson(g)
    return np.where(bad, None, shapely.to_geojson(np.where(bad, None, g)))


def _wgs84_rounded(g: np.ndarray, transformer) -> np.ndarray:
    """``g`` in EPSG:4326, every coordinate rounded to 1e-6 degrees in one pass over the coordinates.

    ``transformer`` goes from the layer's CRS to EPSG:4326 (None: no CRS, which geopandas refuses).
    Rounds half up like GEOS' pointwise precision reduction, so the result equals
    ``set_precision(to_crs(4326), 1e-6, mode="pointwise")`` at about half the cost.
    """
    if transformer is None:
        return shapely.set_precision(gpd.GeoSeries(g).to_crs(4326).to_numpy(), 1e-6, mode="pointwise")

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.floor(np.column_stack([x, y]) * 1e6 + 0.5) / 1e6

    return shapely.transform(g, project)


def _simplify(g: np.ndarray, tolerance: float, *, fast: bool) -> np.ndarray:
    if not fast:
        return shapely.simplify(g, tolerance, preserve_topology=True)
    out = shapely.simplify(g, tolerance, preserve_topology=False)
    broken = ~(shapely.is_missing(g) | shapely.is_empty(g)) & (shapely.is_empty(out) | ~shapely.is_valid(out))
    if broken.any():
        out[broken] = shapely.simplify(g[broken], tolerance, preserve_topology=True)
    return out


def _data_json(data: dict) -> list[str]:
    """``data`` as JSON safe inside ``<script>``, in parts; the geometry strings are spliced in as they are.

    Only the JSON-encoded parts can hold a ``</`` (in a text), so only they are escaped; GeoJSON
    geometry is digits, brackets and a few fixed names.
    """
    return _json_head(data) + _json_context(data["ctx"])


def _json_head(data: dict) -> list[str]:
    """The parts of :func:`_data_json` up to the context: everything but ``ctx``."""
    meta = {k: v for k, v in data.items() if k not in ("a", "ctx")}
    columns = {k: v for k, v in data["a"].items() if k != "geom"}
    parts = [_dumps(meta)[:-1], ',"a":', _dumps(columns)[:-1], ',"geom":[']
    return parts + _comma_separated(data["a"]["geom"]) + [']},"ctx":{']


def _json_context(ctx: dict[str, list[str]]) -> list[str]:
    """The parts of :func:`_data_json` from the context on."""
    parts = []
    for i, (key, geoms) in enumerate(ctx.items()):
        parts += [("," if i else "") + _dumps(key) + ":["] + _comma_separated(geoms) + ["]"]
    return parts + ["}}"]


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _comma_separated(items: list[str]) -> list[str]:
    out = [","] * (2 * len(items) - 1) if items else []
    out[::2] = items
    return out
