"""Read vector layers (Shapefile, GeoPackage, any OGR format) and point CSVs, safely.

Each reader turns every problem it can recognise into a one-line :class:`InputError` naming the
file and the fix: missing sidecar files, unreadable files, missing layers or fields, unknown
encodings, missing or implausible coordinate systems. Repairs (an encoding detected, a CRS
assumed, a reprojection) are returned as problems in the :class:`~nachverdichtung.io.contract.Read`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer

from ..errors import CRSError, InputError
from .contract import TARGET_CRS, Read
from .nas import XML_SUFFIXES, check_xml_safe
from .window import count_rows, current_window, window_bbox, window_fids

log = logging.getLogger(__name__)

__all__ = ["read_vector", "read_extents", "list_layers", "detect_dbf_encoding", "check_crs_plausible", "READ_ERRORS"]

#: What GDAL (through pyogrio) and shapely raise for a file they cannot read: a broken or foreign
#: file is bad input; anything else raised while reading is a bug of this package and surfaces as one.
READ_ERRORS = (DataSourceError, DataLayerError, shapely.errors.GEOSException)

_SHP_SIDECARS = {".shx": "Index (.shx)", ".dbf": "Attributtabelle (.dbf)"}


def _sibling(path: Path, suffix: str) -> Path | None:
    """Find a sidecar file regardless of the case of its suffix."""
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    return None


def detect_dbf_encoding(dbf: Path, *, sample_bytes: int = 4_000_000) -> str:
    """Tell UTF-8 from cp1252 in a .dbf without a .cpg.

    A byte sequence that decodes as UTF-8 and contains multi-byte characters is UTF-8; any other
    non-ASCII content is taken as cp1252 (a superset of ISO-8859-1 for printable characters), which
    is what German offices write.

    Examples
    --------
    >>> detect_dbf_encoding(Path("x.dbf"))  # doctest: +SKIP
    'cp1252'
    """
    with open(dbf, "rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            return "utf-8"
        header_len = int.from_bytes(header[8:10], "little")
        fh.seek(header_len)
        body = fh.read(sample_bytes)
    if body.isascii():
        return "utf-8"
    # cut at a record-safe point: trailing partial UTF-8 sequences would fail spuriously
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 4 and len(body) == sample_bytes:
            return "utf-8"
        return "cp1252"


def list_layers(path: Path) -> list[str]:
    """Layer names of a container: file stems of a Shapefile folder, or the layers of a file."""
    path = Path(path)
    if path.is_dir():
        return sorted(p.stem for p in path.iterdir() if p.suffix.lower() == ".shp")
    _check_xml(path)
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except READ_ERRORS as exc:
        raise InputError(f"Datei kann nicht gelesen werden ({_short(exc)})", file=path,
                         fix="prüfen, ob die Datei vollständig und ein unterstütztes Format ist") from None


def _check_xml(path: Path) -> None:
    """Refuse XML with DOCTYPE/ENTITY before GDAL parses it (see :mod:`nachverdichtung.io.nas`)."""
    if path.suffix.lower() in XML_SUFFIXES and path.is_file():
        check_xml_safe(path)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def read_vector(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    target_crs: str = TARGET_CRS,
    what: str = "Layer",
    fix_key: str | None = None,
) -> Read:
    """Read one vector layer and return it in ``target_crs``.

    Parameters
    ----------
    path
        A Shapefile, a GeoPackage or any format GDAL reads; for a Shapefile folder pass the .shp.
    layer
        Layer name inside a multi-layer file.
    encoding
        Force an encoding. Without it a Shapefile's ``.cpg`` is honoured, and without a ``.cpg``
        UTF-8 and cp1252 are told apart from the bytes.
    crs
        CRS to assume when the file carries none. A file *with* a CRS is never overridden.
    target_crs
        CRS of the result.
    what
        What the layer is, for messages (e.g. "Flurstücke").
    fix_key
        Config key to name in the fix of a message.

    Returns
    -------
    Read
        The frame in ``target_crs``, the repairs made (an encoding detected, a CRS assumed, a
        reprojection) and the source (file, layer, encoding, original CRS).
    """
    path = Path(path)
    key = fix_key or "Pfad"
    notes: list[str] = []
    encoding = _check_file(path, layer, encoding, what=what, key=key, notes=notes)
    # inside a read window (a dask partition) only the features whose bounding box meets it, or
    # the features the window names by id
    fids = window_fids(path, layer)
    bbox = window_bbox(pyogrio.read_info(path, layer=layer).get("crs") or crs) \
        if current_window() and fids is None else None
    gdf, encoding = _read_frame(path, layer, encoding, what=what, key=key, notes=notes, bbox=bbox, fids=fids)
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError(f"{what}: Layer enthält keine Geometrien", file=path,
                         fix="einen Layer mit Geometrien angeben")
    count_rows(path.name + (f":{layer}" if layer else ""), len(gdf))
    if gdf.crs is None:
        gdf = gdf.set_crs(_assumed_crs(crs, path, what, key))
        notes.append(f"{path.name}: {what}: kein Koordinatensystem in der Datei, {crs} aus der "
                     f"Konfiguration angenommen")
    source = {"file": str(path), "layer": layer, "encoding": encoding, "crs": gdf.crs.to_string()}
    check_crs_plausible(gdf, file=path, what=what, key=key)
    if not gdf.crs.equals(CRS.from_user_input(target_crs)):
        log.info("%s: Umprojektion %s -> %s", path.name, gdf.crs.to_string(), target_crs)
        notes.append(f"{path.name}: {what}: von {gdf.crs.to_string()} nach {target_crs} umprojiziert")
        gdf = gdf.to_crs(target_crs)
    return Read(gdf, tuple(notes), source)


def _assumed_crs(crs, path: Path, what: str, key: str):
    """The configured CRS for a file without one; refused when none is configured."""
    if crs is None:
        raise CRSError(f"{what}: kein Koordinatensystem angegeben (.prj fehlt)", file=path,
                       fix=f"'crs: EPSG:25832' (oder das richtige System) unter '{key}' eintragen")
    return crs


def read_extents(path: str | Path, *, layer: str | None = None, crs: str | None = None,
                 target_crs: str = TARGET_CRS, what: str = "Layer", fix_key: str | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Feature ids and bounding boxes in ``target_crs``, without attributes; the file checks of
    :func:`read_vector`.

    A file in ``target_crs`` gives its boxes straight from OGR (:func:`pyogrio.read_bounds`); a
    file in another CRS is read as geometry only and reprojected as :func:`read_vector` does, so
    the boxes are those of the geometries a later read returns.

    Returns
    -------
    fids, bounds
        ``(n,)`` feature ids as OGR numbers them and ``(n, 4)`` boxes ``xmin, ymin, xmax, ymax``
        (NaN: a feature without geometry).
    """
    path = Path(path)
    key = fix_key or "Pfad"
    _check_file(path, layer, None, what=what, key=key, notes=[])
    try:
        file_crs = pyogrio.read_info(path, layer=layer).get("crs") or _assumed_crs(crs, path, what, key)
        if CRS.from_user_input(file_crs).equals(CRS.from_user_input(target_crs)):
            fids, bounds = pyogrio.read_bounds(path, layer=layer)
            return np.asarray(fids, dtype=np.int64), np.asarray(bounds, dtype=float).T.copy()
        gdf = pyogrio.read_dataframe(path, layer=layer, columns=[], fid_as_index=True)
    except READ_ERRORS as exc:
        raise InputError(f"{what}: Datei kann nicht gelesen werden ({_short(exc)})", file=path,
                         fix="Datei neu exportieren oder vollständig liefern lassen") from None
    geoms = gdf.set_crs(file_crs, allow_override=True).to_crs(target_crs).geometry
    return gdf.index.to_numpy(dtype=np.int64), shapely.bounds(np.asarray(geoms.array))


def _check_file(path: Path, layer: str | None, encoding: str | None, *, what: str, key: str,
                notes: list[str]) -> str | None:
    """Refuse a missing, unsafe or incomplete file or a missing layer; the encoding to read with."""
    if not path.exists():
        raise InputError(f"{what}: Datei nicht gefunden", file=path,
                         fix=f"Pfad unter '{key}' in der Konfiguration prüfen")
    _check_xml(path)
    if path.suffix.lower() == ".shp":
        for suffix, label in _SHP_SIDECARS.items():
            if _sibling(path, suffix) is None:
                raise InputError(
                    f"{what}: {label} fehlt neben der .shp", file=path,
                    fix="die vollständige Shapefile-Lieferung (.shp, .shx, .dbf, .prj) in denselben Ordner legen",
                )
        _check_shp_complete(path, what)
        if encoding is None and _sibling(path, ".cpg") is None:
            encoding = detect_dbf_encoding(_sibling(path, ".dbf"))
            log.info("%s: keine .cpg, Kodierung %s erkannt", path.name, encoding)
            if encoding != "utf-8":
                notes.append(f"{path.name}: {what}: keine .cpg-Datei, Zeichenkodierung {encoding} erkannt")
    if layer is not None:
        available = list_layers(path)
        if layer not in available:
            raise InputError(f"{what}: Layer {layer!r} nicht vorhanden (vorhanden: {', '.join(available)})",
                             file=path, fix=f"Layernamen unter '{key}' korrigieren")
    return encoding


def _read_frame(path: Path, layer: str | None, encoding: str | None, *, what: str, key: str,
                notes: list[str], bbox=None, fids=None):
    """The frame as GDAL reads it, and the encoding used (a wrong .cpg is overruled, and noted)."""
    try:
        try:
            return pyogrio.read_dataframe(path, layer=layer, encoding=encoding, bbox=bbox, fids=fids), encoding
        except UnicodeDecodeError:
            dbf = _sibling(path, ".dbf") if path.suffix.lower() == ".shp" else None
            if encoding is not None or dbf is None:
                raise
            # the .cpg names the wrong code page (typically "UTF-8" over cp1252 content)
            encoding = detect_dbf_encoding(dbf)
            if encoding == "utf-8":
                raise
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, bbox=bbox, fids=fids)
            notes.append(f"{path.name}: {what}: .cpg-Datei nennt eine falsche Zeichenkodierung, "
                         f"{encoding} erkannt und verwendet")
            return gdf, encoding
    except UnicodeDecodeError:
        raise InputError(f"{what}: Zeichenkodierung {encoding or 'laut .cpg'!s} passt nicht", file=path,
                         fix=f"'encoding: cp1252' oder 'encoding: utf-8' unter '{key}' angeben") from None
    except READ_ERRORS as exc:
        raise InputError(f"{what}: Datei kann nicht gelesen werden ({_short(exc)})", file=path,
                         fix="Datei neu exportieren oder vollständig liefern lassen") from None


def _check_shp_complete(path: Path, what: str) -> None:
    """Raise when a .shp is shorter than its header says (an interrupted copy or download)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or int.from_bytes(header[:4], "big") != 9994:
        raise InputError(f"{what}: keine gültige Shapefile-Datei (Kopf fehlt oder beschädigt, {size} Bytes)",
                         file=path, fix="die Datei erneut kopieren oder neu exportieren lassen")
    declared = int.from_bytes(header[24:28], "big") * 2
    if size < declared:
        raise InputError(f"{what}: Datei ist unvollständig ({size:,} von {declared:,} Bytes)".replace(",", "."),
                         file=path, fix="die Datei erneut kopieren oder neu exportieren lassen")


def check_crs_plausible(gdf: gpd.GeoDataFrame, *, file, what: str = "Layer", key: str = "crs") -> None:
    """Raise :class:`CRSError` when coordinates lie far outside the area of use of their CRS."""
    geoms = gdf.geometry.values
    ok = ~(geoms.isna() | geoms.is_empty)
    if not ok.any():
        return
    xmin, ymin, xmax, ymax = gdf.geometry[ok].total_bounds
    if not np.all(np.isfinite([xmin, ymin, xmax, ymax])):
        raise InputError(f"{what}: Koordinaten enthalten ungültige Werte (NaN/unendlich)", file=file,
                         fix="Geometrien im GIS reparieren")
    crs = gdf.crs
    aou = crs.area_of_use
    if aou is None:
        return
    if crs.is_geographic:
        bx = (aou.west - 1, aou.south - 1, aou.east + 1, aou.north + 1)
    else:
        t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        xs, ys = t.transform([aou.west, aou.east, aou.west, aou.east], [aou.south, aou.south, aou.north, aou.north])
        pad = 0.2 * max(max(xs) - min(xs), max(ys) - min(ys))
        bx = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    inside = xmin >= bx[0] and ymin >= bx[1] and xmax <= bx[2] and ymax <= bx[3]
    if not inside:
        hint = _guess_crs(xmin, ymin)
        raise CRSError(
            f"{what}: Koordinaten ({xmin:.0f}, {ymin:.0f}) … ({xmax:.0f}, {ymax:.0f}) passen nicht zu "
            f"{crs.to_string()}{hint}", file=file,
            fix=f"das richtige Koordinatensystem unter '{key}' angeben oder die .prj korrigieren",
        )


def _guess_crs(x: float, y: float) -> str:
    if 2_400_000 <= x < 6_000_000 and 5_000_000 <= y <= 6_200_000:
        return f" (sieht nach Gauß-Krüger aus, Streifen {int(x // 1_000_000)}: EPSG:{31464 + int(x // 1_000_000)})"
    if 32_000_000 <= x < 33_000_000:
        return " (Rechtswert mit Zonenkennung 32: EPSG:4647)"
    if 200_000 <= x <= 900_000 and 5_000_000 <= y <= 6_200_000:
        return " (sieht nach UTM 32N aus: EPSG:25832)"
    if -180 <= x <= 180 and -90 <= y <= 90:
        return " (sieht nach Längen-/Breitengraden aus: EPSG:4326)"
    return ""
