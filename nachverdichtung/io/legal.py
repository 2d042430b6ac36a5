"""Read the public-law restrictions an ALKIS delivery holds (ax_denkmalschutzrecht, …).

Full-schema deliveries (preset ``ax``: GeoPackage or Shapefile folder, 10-character field names too)
often carry the "öffentlich-rechtliche Festlegungen" as object types of their own. They are read
automatically when present; a delivery without them simply yields no legal layers (the criteria
then say "nicht bewertet" unless a thematic layer is given).

Every object keeps its code; codes missing from the code tables of :mod:`nachverdichtung.legal_codes`
get the category ``unbekannt`` and are reported once per object type (never dropped silently).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..legal_codes import LEGAL_LAYERS, LegalLayer, lookup
from .contract import TARGET_CRS, Read
from .names import canonical_name, find_field
from .postgis import DatabaseSource, is_database_url
from .vector import list_layers, read_vector

log = logging.getLogger(__name__)

__all__ = ["read_legal", "delivery_date", "LEGAL_COLUMNS"]

#: Columns of every harmonised legal layer.
LEGAL_COLUMNS = ("objektart", "code", "kategorie", "art", "name", "beginnt")
_NAME_FIELDS = ("name", "bezeichnung", "bezeichnun", "nummer", "nummerderschutzzone", "nummerders")


def _find(available: list[str], objektart: str) -> str | None:
    key = canonical_name(objektart)
    return next((a for a in available if canonical_name(a) == key), None)


def _harmonise(gdf: gpd.GeoDataFrame, spec: LegalLayer, objektart: str, where: str,
               problems: list[str]) -> gpd.GeoDataFrame:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    code_col = find_field(cols, spec.code_fields)
    n = len(gdf)
    if code_col is None:
        problems.append(f"{where}: Feld {spec.code_fields[0]!r} fehlt; {n} Objekte als 'unbekannt' gewertet "
                        f"(Feld im Export ergänzen lassen)")
        raw = pd.Series([None] * n, index=gdf.index, dtype=object)
    else:
        raw = gdf[code_col]
    values = raw.astype("string").fillna("").str.strip()
    resolved = {v: lookup(spec.table, v) for v in values.unique()}  # unique values only, not per feature
    code = values.map(lambda v: resolved[v][0])
    kat = values.map(lambda v: resolved[v][1])
    art = values.map(lambda v: resolved[v][2])
    unknown = kat == "unbekannt"
    if unknown.any() and code_col is not None:
        shown = ", ".join(sorted({v or "leer" for v in values[unknown]})[:6])
        problems.append(f"{where}: {int(unknown.sum())} Objekte mit unbekanntem Code in '{code_col}' ({shown}); "
                        f"berührte Flächen werden dort nicht bewertet (Codeliste in docs/criteria.md prüfen)")
    name_cols = [c for c in (find_field(cols, [f]) for f in _NAME_FIELDS) if c is not None]
    name = pd.Series("", index=gdf.index, dtype=object)
    for c in name_cols:
        v = gdf[c].astype("string").fillna("").str.strip()
        name = name.where(name != "", v)
    beginnt_col = find_field(cols, ["beginnt"])
    beginnt = gdf[beginnt_col].astype("string").fillna("") if beginnt_col else pd.Series("", index=gdf.index)
    out = gpd.GeoDataFrame({"objektart": objektart, "code": pd.array(code, dtype="Int64"), "kategorie": kat,
                            "art": art, "name": name.astype(str), "beginnt": beginnt.astype(str)},
                           geometry=gdf.geometry.values, crs=gdf.crs, index=pd.RangeIndex(n))
    return out


def read_legal(path: str | Path, *, encoding: str | None = None, crs: str | None = None,
               target_crs: str = TARGET_CRS, layers: dict | None = None) -> Read:
    """Read every restriction object type present in a GeoPackage, Shapefile folder or PostGIS schema.

    Parameters
    ----------
    path
        The ALKIS delivery (``alkis.path``).
    encoding, crs
        As for the cadastre (``alkis.encoding``, ``alkis.crs``).
    target_crs
        CRS of the frames.
    layers
        Optional overrides ``{layer key: layer name or list}`` (``alkis.layers.legal_monuments`` …).

    Returns
    -------
    Read
        ``frame``: layer key (``legal_nature``, ``legal_monuments``, ``legal_water``, ``legal_zones``,
        ``legal_landorder``) → GeoDataFrame with :data:`LEGAL_COLUMNS`, only for object types present
        in the delivery (an empty frame when the layer exists but holds no objects); ``problems``: one
        German sentence per unknown code set, unreadable field etc.; ``source``: ``file`` and
        ``layers`` (layer key → "file (layer)").

    Examples
    --------
    >>> read_legal("data/raw/sample/alkis.gpkg").frame["legal_monuments"].kategorie.unique()  # doctest: +SKIP
    """
    if is_database_url(path):
        source = DatabaseSource(str(path))
        try:
            return _read_all(source, source.layers(), encoding=encoding, crs=crs, target_crs=target_crs,
                             layers=layers)
        finally:
            source.close()
    path = Path(path)
    if path.suffix.lower() in (".dxf", ".xml", ".nas") or not path.exists():
        return Read({}, (), {"file": str(path), "layers": {}})
    return _read_all(path, list_layers(path), encoding=encoding, crs=crs, target_crs=target_crs, layers=layers)


def _read_layer(container, layer: str, *, encoding, crs, target_crs: str, what: str):
    """``(read, short place, full place)`` of one layer of a folder, a file or a database schema."""
    if isinstance(container, DatabaseSource):
        read = container.read(layer, what=what, target_crs=target_crs, crs=crs)
        return read, f"{container.schema}.{layer}", f"{container} ({layer})"
    file, layer_arg = (container / f"{layer}.shp", None) if container.is_dir() else (container, layer)
    read = read_vector(file, layer=layer_arg, encoding=encoding, crs=crs, target_crs=target_crs,
                       what=what, fix_key="alkis")
    where = f"{Path(file).name}" + (f" ({layer})" if layer_arg else "")
    return read, where, str(file) if layer_arg is None else f"{file} ({layer})"


def _read_all(container, available: list[str], *, encoding, crs, target_crs: str, layers) -> Read:
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems: list[str] = []
    sources: dict[str, str] = {}
    for spec in LEGAL_LAYERS:
        wanted = (layers or {}).get(spec.key) or spec.objektarten
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        pieces = []
        for objektart in wanted:
            layer = _find(available, objektart)
            if layer is None:
                continue
            read, where, sources[spec.key] = _read_layer(container, layer, encoding=encoding, crs=crs,
                                                         target_crs=target_crs, what=spec.label)
            problems.extend(read.problems)
            pieces.append(_harmonise(read.frame, spec, objektart, where, problems))
        if pieces:
            frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
            frames[spec.key] = gpd.GeoDataFrame(frame, geometry="geometry", crs=target_crs)
            log.info("%s: %d Objekte", spec.label, len(frame))
    return Read(frames, tuple(problems), {"file": str(container), "layers": sources})


def delivery_date(frames: list[gpd.GeoDataFrame], columns=("datumderletztenueberpruefung", "beginnt")) -> str | None:
    """The most recent ISO date in the given columns of any frame (``None`` when none holds one)."""
    best = None
    for gdf in frames:
        for col in columns:
            c = find_field(gdf.columns, [col])
            if c is None:
                continue
            dates = pd.to_datetime(gdf[c].astype("string").str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
            d = dates.max()
            if d is not pd.NaT and not pd.isna(d) and (best is None or d > best):
                best = d
    return None if best is None else best.date().isoformat()

