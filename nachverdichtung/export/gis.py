"""GIS layers that open ready-styled in QGIS: GeoPackage (primary) and Shapefile (legacy).

``nachverdichtung.gpkg`` holds the layers ``bewertung`` (areas with every column), ``flurstuecke``
(the parcel accounting, parcels excluded at validation without geometry) and ``vorderzonen`` (each
street's front zone up to its rear building line), plus QGIS's own ``layer_styles`` table whose
default style for ``bewertung`` colours the overall class. Further, non-default styles per criterion
can be picked in QGIS's style manager.

``shapefile/`` holds the same two layers with field names of at most 10 characters, a ``.qml``
beside each (QGIS loads it automatically), a ``.cpg`` (UTF-8) and ``feldnamen.csv`` with the field
map. See ``docs/outputs.md``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from .fieldmap import field_map, short_names
from .styles import Category, class_categories, participation_categories, qml, sld, status_categories

__all__ = ["write_gpkg", "write_shapefiles", "layer_styles", "gis_layers", "truncate_bytes", "GPKG_NAME", "SHP_DIR", "MAX_DBF_BYTES"]

GPKG_NAME = "nachverdichtung.gpkg"
SHP_DIR = "shapefile"
#: dBASE text fields hold at most 254 bytes.
MAX_DBF_BYTES = 254
ELLIPSIS = "…"

_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT
    (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def _for_ogr(gdf: gpd.GeoDataFrame, *, iso_dates: bool = False) -> gpd.GeoDataFrame:
    """Index as first column, pandas string dtypes as object (and datetimes as ISO text if asked)."""
    out = gdf.reset_index() if gdf.index.name else gdf.copy()
    geom = out.geometry.name
    for col in out.columns:
        if col == geom:
            continue
        dtype = out[col].dtype
        if iso_dates and pd.api.types.is_datetime64_any_dtype(dtype):
            out[col] = out[col].map(lambda v: v.isoformat() if pd.notna(v) else None).astype(object)
        elif str(dtype) in ("string", "str"):
            out[col] = out[col].astype(object)
    return out


def _parcels(assessment) -> gpd.GeoDataFrame:
    """Every accounted parcel; excluded parcels without geometry keep an empty geometry."""
    p = assessment.parcels
    return p.reset_index(drop=True) if p.index.name is None else p


def _zones(assessment) -> gpd.GeoDataFrame | None:
    streets = getattr(assessment.candidates, "streets", None)
    if streets is None or "vorderzone" not in streets.columns or not len(streets):
        return None
    keep = [c for c in ("street_id", "name", "baulinie_m", "n_hauptgebaeude") if c in streets.columns]
    return gpd.GeoDataFrame(streets[keep].copy(), geometry=gpd.GeoSeries(streets["vorderzone"].values,
                                                                           crs=assessment.areas.crs))


def _settlement(assessment) -> gpd.GeoDataFrame | None:
    s = getattr(assessment.candidates, "settlement", None)
    if s is None or not len(s):
        return None
    return gpd.GeoDataFrame({"quelle": s["quelle"].to_numpy()}, geometry=s.geometry.values, crs=s.crs)


def _single_symbol_qml(field: str, cat: Category) -> str:
    """One symbol for all features: a categorized renderer turned into a single-symbol renderer."""
    text = qml(field, [cat])
    start, end = text.index("<categories>"), text.index("</categories>") + len("</categories>")
    text = text[:start] + text[end:]
    return text.replace(f'type="categorizedSymbol" attr="{field}"', 'type="singleSymbol"')


def _settlement_qml() -> str:
    return _single_symbol_qml("quelle", Category("", "Innenbereich (Eingabe oder abgeleitet)", "#7a5c99", "#7a5c99",
                                                 0.15))


def _zone_qml() -> str:
    return _single_symbol_qml("name", Category("", "Vorderzone bis zur hinteren Bebauungstiefe", "#4a6fa5",
                                               "#4a6fa5", 0.12))


def gis_layers(assessment) -> dict[str, gpd.GeoDataFrame]:
    """The GIS layers as written: ``bewertung``, ``flurstuecke`` and, where derived, ``vorderzonen``, ``innenbereich``."""
    layers = {"bewertung": _for_ogr(assessment.areas), "flurstuecke": _for_ogr(_parcels(assessment))}
    zones = _zones(assessment)
    if zones is not None:
        layers["vorderzonen"] = _for_ogr(zones)
    settlement = _settlement(assessment)
    if settlement is not None:
        layers["innenbereich"] = _for_ogr(settlement)
    return layers


def write_gpkg(assessment, folder: Path) -> list[Path]:
    """Write ``nachverdichtung.gpkg`` with the layers ``bewertung``, ``flurstuecke``, ``vorderzonen``, ``innenbereich``.

    The ``layer_styles`` table makes QGIS style every layer on open.
    """
    path = Path(folder) / GPKG_NAME
    layers = gis_layers(assessment)
    for name, gdf in layers.items():
        # GeoPackage 1.2: QGIS 3.22 / GDAL 3.6 (Debian 12) warn about the newer 1.4 that GDAL 3.9+ writes
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG",
                                dataset_options={"VERSION": "1.2"} if name == "bewertung" else None)
    write_layer_styles(path, layer_styles(assessment, layers["bewertung"].columns,
                                          with_zones="vorderzonen" in layers,
                                          with_settlement="innenbereich" in layers))
    return [path]


def layer_styles(assessment, columns, *, with_zones: bool,
                 with_settlement: bool = False) -> list[tuple[str, str, str, str, bool, str]]:
    """QGIS styles of the GIS layers: ``(layer, style name, QML, SLD, use as default, description)``.

    The same list goes into the GeoPackage's and the PostGIS database's ``layer_styles`` table.
    """
    styles = [("bewertung", "Bewertung (Gesamtklasse)", qml("klasse", class_categories(), label_field="flaeche_id"),
               sld("bewertung", "klasse", class_categories(), label_field="flaeche_id"), True,
               "Gesamtklasse: geeignet / bedingt geeignet / nicht geeignet / nicht bewertet")]
    if "klasse_vorlaeufig" in columns:
        styles.append(("bewertung", "Vorläufige Klasse", qml("klasse_vorlaeufig", class_categories(),
                                                             label_field="flaeche_id"),
                       sld("bewertung", "klasse_vorlaeufig", class_categories(), label_field="flaeche_id"), False,
                       "Klasse aus den bewertbaren Kriterien (Spalte vorlaeufig nennt die fehlenden)"))
    for c in assessment.criteria:
        col = f"{c}_klasse"
        if col in columns:
            title = _title(c)
            styles.append(("bewertung", title[:30], qml(col, class_categories(), label_field="flaeche_id"),
                           sld("bewertung", col, class_categories(), label_field="flaeche_id"), False,
                           f"Klasse des Kriteriums {title}"))
    if "beteiligung" in columns:
        styles.append(("bewertung", "Beteiligung der Eigentümer", qml("beteiligung", participation_categories(),
                                                                    label_field="flaeche_id"),
                       sld("bewertung", "beteiligung", participation_categories(), label_field="flaeche_id"), False,
                       "Mitwirkungsbereitschaft der Eigentümer je Fläche (ohne personenbezogene Daten)"))
    styles.append(("flurstuecke", "Flurstücke (Status)", qml("status", status_categories()),
                   sld("flurstuecke", "status", status_categories()), True, "Kandidat oder ausgeschlossen"))
    if with_zones:
        styles.append(("vorderzonen", "Vorderzonen", _zone_qml(), "", True,
                       "Vorderzone je Straße bis zur hinteren Bebauungstiefe (baulinie_m)"))
    if with_settlement:
        styles.append(("innenbereich", "Innenbereich", _settlement_qml(), "", True,
                       "Innenbereich (§ 34 BauGB): quelle = Eingabe oder abgeleitet (aus Gebäuden und Nutzung)"))
    return styles


def write_layer_styles(path: Path, styles: list[tuple[str, str, str, str, bool, str]]) -> None:
    """Add QGIS's ``layer_styles`` table to a GeoPackage and register it in ``gpkg_contents``.

    Parameters
    ----------
    path
        An existing GeoPackage.
    styles
        ``(layer, style name, QML, SLD, use as default, description)`` per style.
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as con:
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(_LAYER_STYLES_SQL)
        con.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
            "VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, '', '', ?)",
            [(layer, geom_cols.get(layer, "geom"), name, q, s, int(default), desc, now)
             for layer, name, q, s, default, desc in styles])
        con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS-Layerstile', ?)",
                    (now,))
    con.close()


def truncate_bytes(values: pd.Series, limit: int = MAX_DBF_BYTES) -> pd.Series:
    """Shorten texts longer than ``limit`` UTF-8 bytes to fit, ending with "…" (never splitting a character)."""
    s = values.astype(object)
    text = s.where(s.notna(), "").astype(str)
    nbytes = text.str.encode("utf-8").str.len()
    long = nbytes > limit
    if not long.any():
        return s
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text[long].str.encode("utf-8").str.slice(0, room).map(lambda b: b.decode("utf-8", "ignore"))
    out = s.copy()
    out[long] = cut.str.rstrip() + ELLIPSIS
    return out


def _shapefile_frame(gdf: gpd.GeoDataFrame, names: dict[str, str]) -> gpd.GeoDataFrame:
    out = _for_ogr(gdf, iso_dates=True)
    geom = out.geometry.name
    for col in out.columns:
        if col != geom and out[col].dtype == object:
            out[col] = truncate_bytes(out[col])
    out = out.rename(columns=names)
    return out.set_geometry(geom) if geom in out.columns else out


def write_shapefiles(assessment, folder: Path) -> list[Path]:
    """Write ``shapefile/bewertung.shp`` and ``shapefile/flurstuecke.shp`` with ``.qml``, ``.cpg`` and the field map.

    Field names are shortened to 10 characters (:func:`~nachverdichtung.export.fieldmap.short_names`);
    texts over 254 UTF-8 bytes end in "…" (the full text is in the GeoPackage and CSV).
    """
    out_dir = Path(folder) / SHP_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    titles = {c: _title(c) for c in assessment.criteria}
    areas = assessment.areas
    parcels = _parcels(assessment)
    area_cols = [areas.index.name or "flaeche_id", *[c for c in areas.columns if c != areas.geometry.name]]
    parcel_cols = [c for c in parcels.columns if c != parcels.geometry.name]
    # one map for both layers, so a column has the same short name everywhere
    names = short_names([*area_cols, *parcel_cols])
    written = []
    for layer, gdf, qml_text in (
        ("bewertung", areas, qml(names["klasse"], class_categories(), label_field=names[area_cols[0]])),
        ("flurstuecke", parcels, qml(names["status"], status_categories())),
    ):
        path = out_dir / f"{layer}.shp"
        pyogrio.write_dataframe(_shapefile_frame(gdf, names), path, driver="ESRI Shapefile", encoding="UTF-8")
        path.with_suffix(".qml").write_text(qml_text, encoding="utf-8")
        cpg = path.with_suffix(".cpg")
        if not cpg.exists():
            cpg.write_text("UTF-8", encoding="ascii")
        written += sorted(out_dir.glob(f"{layer}.*"))
    fm = field_map(names, titles)
    fm.insert(0, "ebene", np.where(fm["spalte"].isin(area_cols),
                                   np.where(fm["spalte"].isin(parcel_cols), "beide", "bewertung"), "flurstuecke"))
    csv = out_dir / "feldnamen.csv"
    fm.to_csv(csv, sep=";", index=False, encoding="utf-8-sig")
    return [*written, csv]


def _title(name: str) -> str:
    from ..criteria import REGISTRY

    return REGISTRY[name].title if name in REGISTRY else name
