"""Interactive web map (``karte.html``) that works offline and stays fast.

The page is one self-contained HTML file: Leaflet (vendored in ``assets/leaflet``, BSD-2-Clause), its
images as data URIs, the map script (``assets/webmap``) and the data are inlined, so opening it from
disk makes no network request. An OpenStreetMap background can be switched on when a network exists.

The data are compact: geometries are simplified in the metric CRS, converted to EPSG:4326 only here,
rounded to 6 decimals (about 0.1 m), and each area carries only indices into a shared string table;
the popup table is built in the browser. Areas are drawn as one GeoJSON layer per class on a canvas.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..criteria import REGISTRY
from ..criteria.base import KLASSEN

__all__ = ["CLASS_COLOURS", "write_map", "map_html", "map_data", "MapView", "show_map"]

ASSETS = Path(__file__).with_name("assets")
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


def write_map(assessment, folder: Path, *, simplify_m: float = 0.5, context_m: float = 50.0) -> list[Path]:
    """Write ``karte.html`` into ``folder``.

    Parameters
    ----------
    assessment
        The result of :func:`nachverdichtung.pipeline.assess`.
    folder
        Target folder (must exist).
    simplify_m, context_m
        Simplification tolerance and the distance around the areas within which context is shown
        for large districts (see :func:`map_data`).

    Returns
    -------
    list of Path
        ``[folder / "karte.html"]``.

    Examples
    --------
    >>> write_map(result, Path("data/processed"))  # doctest: +SKIP
    """
    path = Path(folder) / "karte.html"
    path.write_text(map_html(assessment, simplify_m=simplify_m, context_m=context_m), encoding="utf-8")
    return [path]


def map_html(assessment, *, simplify_m: float = 0.5, context_m: float = 50.0) -> str:
    """The complete, self-contained HTML page of the map."""
    data = map_data(assessment, simplify_m=simplify_m, context_m=context_m)
    title = html.escape(data["titel"])
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="de"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{_leaflet_css()}</style>",
        f"<style>{(ASSETS / 'webmap' / 'karte.css').read_text(encoding='utf-8')}</style>",
        f"<script>{_leaflet_js()}</script>",
        "</head><body>",
        '<div id="karte"></div>',
        f'<script type="application/json" id="nv-daten">{_data_json(data)}</script>',
        f"<script>{(ASSETS / 'webmap' / 'karte.js').read_text(encoding='utf-8')}</script>",
        "</body></html>",
    ])


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
        distance of an area are kept.

    Returns
    -------
    dict
        ``titel``, ``untertitel``, ``bbox``, ``umgebung_ab_zoom``, ``klassen``, ``kriterien``, ``s``
        (string table), ``a`` (columns per area; ``a["geom"]`` is a list of GeoJSON geometry strings)
        and ``ctx`` (context geometry strings).
    """
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
    texts = [col(f"{c}_grund") for c in crit] + [col("flurstuecke"), entscheidend, col("strasse")]
    codes, strings = pd.factorize(np.concatenate(texts) if n else np.array([], dtype=object))
    codes = codes.reshape(len(texts), n) if n else np.zeros((len(texts), 0), dtype=int)

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

    a = {
        "id": areas.index.astype(str).tolist(),
        "k": _class_codes(col("klasse", "nicht bewertet"), k_code),
        "c": [_class_codes(col(f"{c}_klasse", "nicht bewertet"), k_code) for c in crit],
        "v": values,
        "g": codes[: len(crit)].tolist(),
        "f": codes[len(crit)].tolist(),
        "e": codes[len(crit) + 1].tolist(),
        "st": codes[len(crit) + 2].tolist(),
        "m": pd.to_numeric(areas.get("flaeche_m2", pd.Series(np.nan, index=areas.index)), errors="coerce")
               .round(0).astype(float).replace({np.nan: None}).tolist(),
        "geom": _geojson(areas.geometry, areas.crs, simplify_m, keep_empty=True),
    }
    layers = assessment.layers
    near = shapely.buffer(areas.geometry.to_numpy(), context_m) if n else None
    ctx = {key: _geojson(_context(getattr(layers, attr), near), getattr(layers, attr).crs, simplify_m)
           for key, attr in (("flurstuecke", "parcels"), ("gebaeude", "buildings"), ("strassen", "roads"))}
    out = assessment.config.output
    return {"titel": out.title, "untertitel": getattr(out, "study_area", "") or "",
            "bbox": _bbox(areas, layers), "umgebung_ab_zoom": CONTEXT_MIN_ZOOM,
            "klassen": [{"name": k, "farbe": CLASS_COLOURS[k]} for k in klassen],
            "kriterien": kriterien, "s": [str(s) for s in strings], "a": a, "ctx": ctx}


class MapView:
    """Inline display of the map in Jupyter (an ``<iframe srcdoc>``; works offline).

    Examples
    --------
    >>> show_map(result)  # doctest: +SKIP
    """

    def __init__(self, page: str, *, height: int = 560):
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" style="width:100%;'
                f'height:{self.height}px;border:1px solid #ccc"></iframe>')


def show_map(assessment, *, height: int = 560) -> MapView:
    """The map of ``assessment`` for inline display in a notebook."""
    return MapView(map_html(assessment), height=height)


def _bbox(areas: gpd.GeoDataFrame, layers) -> list[float] | None:
    """Lon/lat bounds of the areas (or of the parcels when there is no area), for the initial view."""
    frame = areas if len(areas) else layers.parcels
    if frame is None or len(frame) == 0 or frame.geometry.is_empty.all():
        return None
    box = gpd.GeoSeries([shapely.box(*frame.total_bounds)], crs=frame.crs).to_crs(4326)
    return [round(float(v), 6) for v in box.total_bounds]


def _unit(measure: str) -> tuple[str, int]:
    for suffix, (unit, digits) in _UNITS.items():
        if measure.endswith(suffix):
            return unit, digits
    return "", 2


def _class_codes(values: np.ndarray, k_code: dict) -> list[int]:
    return pd.Series(values).map(k_code).fillna(k_code["nicht bewertet"]).astype(int).tolist()


def _context(frame: gpd.GeoDataFrame | None, near) -> gpd.GeoSeries:
    """Context geometries; for big layers only those intersecting ``near`` (buffered areas)."""
    if frame is None or len(frame) == 0:
        return gpd.GeoSeries([], crs=getattr(frame, "crs", None))
    geoms = frame.geometry
    if len(geoms) > CONTEXT_ALL_MAX and near is not None:
        hit = np.unique(geoms.sindex.query(near, predicate="intersects")[1])
        geoms = geoms.iloc[hit]
    return geoms


def _geojson(geoms: gpd.GeoSeries, crs, simplify_m: float, *, keep_empty: bool = False) -> list[str]:
    """GeoJSON geometry strings in EPSG:4326: simplified in ``crs``, rounded to 1e-6 degrees.

    Empty or missing geometries are dropped, or kept as ``"null"`` with ``keep_empty`` (areas stay
    aligned with their attribute columns).
    """
    if len(geoms) == 0:
        return []
    g = shapely.simplify(geoms.to_numpy(), simplify_m, preserve_topology=True)
    g = gpd.GeoSeries(g, crs=crs).to_crs(4326).to_numpy()
    g = shapely.set_precision(g, 1e-6, mode="pointwise")
    bad = shapely.is_missing(g) | shapely.is_empty(g)
    if not keep_empty:
        g, bad = g[~bad], bad[~bad]
    out = shapely.to_geojson(np.where(bad, None, g))
    return np.where(bad, "null", out).tolist()


def _data_json(data: dict) -> str:
    """``data`` as JSON safe inside ``<script>``; the geometry strings are spliced in without re-encoding."""
    def dumps(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    meta = {k: v for k, v in data.items() if k not in ("a", "ctx")}
    columns = {k: v for k, v in data["a"].items() if k != "geom"}
    ctx = ",".join(f"{dumps(k)}:[" + ",".join(v) + "]" for k, v in data["ctx"].items())
    text = (dumps(meta)[:-1] + ',"a":' + dumps(columns)[:-1] + ',"geom":[' + ",".join(data["a"]["geom"])
            + ']},"ctx":{' + ctx + "}}")
    return text.replace("</", "<\\/")


def _leaflet_js() -> str:
    js = (ASSETS / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)


def _leaflet_css() -> str:
    css = (ASSETS / "leaflet" / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = base64.b64encode((ASSETS / "leaflet" / "images" / match.group(1)).read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
