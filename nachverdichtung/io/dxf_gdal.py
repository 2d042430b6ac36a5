"""Fast path: read a DXF with GDAL's DXF driver (``pyogrio``) into :class:`Primitives`.

GDAL returns the whole file as one layer ``entities`` with a ``Layer`` and a ``Text`` field. Closed
polylines become polygons with ``CLOSED_LINE_AS_POLYGON=YES`` (GDAL 3.10+), HATCH becomes a
polygon, INSERTs are exploded and ATTRIBs become text points. Files of R2007 (AC1021) and newer are
UTF-8 whatever ``$DWGCODEPAGE`` says, so ``ENCODING=UTF-8`` is forced for them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

from nachverdichtung.errors import InputError
from nachverdichtung.io.dxf_ezdxf import Primitives, fix_mojibake
from nachverdichtung.io.vector import READ_ERRORS

logger = logging.getLogger(__name__)

__all__ = ["extract_gdal"]

_CODEPAGES = {"cp1252": "CP1252", "cp1250": "CP1250", "latin1": "ISO-8859-1",
              "iso-8859-1": "ISO-8859-1", "cp850": "CP850", "utf-8": "UTF-8", "utf8": "UTF-8"}


def extract_gdal(path: Path, *, kind: Callable[[str], str | None], encoding: str | None,
                 version: str | None) -> Primitives:
    """Polygons, lines and texts of the mapped layers, read with GDAL."""
    import pyogrio

    options = {"CLOSED_LINE_AS_POLYGON": "YES"}
    if version is not None and version >= "AC1021":
        options["ENCODING"] = "UTF-8"
    elif encoding:
        options["ENCODING"] = _CODEPAGES.get(encoding.lower(), encoding)
    try:
        # GDAL reports recoverable issues (e.g. unclosed rings) as warnings: keep them as problems
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(path, layer="entities", columns=["Layer", "Text"],
                                           **options)
    except READ_ERRORS as exc:
        raise InputError(f"GDAL kann die DXF-Datei nicht lesen ({exc})", file=path,
                         fix="reader: ezdxf verwenden oder die Datei als DXF R2018 neu "
                             "speichern") from exc
    prim = Primitives()
    for msg in dict.fromkeys(str(w.message).split(". To avoid")[0] for w in caught):
        prim.problems.append(f"GDAL: {msg}")
    if frame.empty:
        return prim
    layer_names = frame["Layer"].fillna("0").astype(str).map(fix_mojibake).to_numpy()
    prim.layers_seen = sorted(set(layer_names))
    kinds_by_layer = {name: kind(name) for name in np.unique(layer_names)}
    kinds = np.array([kinds_by_layer[n] or "" for n in layer_names], dtype=object)
    is_text = np.array(["text" in k for k in kinds], dtype=bool)
    is_poly = np.array(["poly" in k for k in kinds], dtype=bool)
    is_line = np.array(["line" in k for k in kinds], dtype=bool)
    geoms = shapely.force_2d(frame.geometry.values)
    gtype = shapely.get_type_id(geoms)  # 0 point, 1/5 line, 2 ring, 3/6 polygon, 7 collection
    has = ~shapely.is_missing(geoms)

    text_sel = has & is_text & (gtype == 0) & frame["Text"].notna().to_numpy()
    if text_sel.any():
        xy = shapely.get_coordinates(geoms[text_sel])
        prim.text_layers = layer_names[text_sel].tolist()
        prim.text_xy = [tuple(p) for p in xy]
        prim.texts = [fix_mojibake(str(t)).strip() for t in frame["Text"].to_numpy()[text_sel]]

    poly_sel = has & is_poly & np.isin(gtype, (3, 6, 7))
    if poly_sel.any():
        parts, idx = shapely.get_parts(geoms[poly_sel], return_index=True)
        ok = shapely.get_type_id(parts) == 3
        prim.polygons = parts[ok].tolist()
        prim.poly_layers = layer_names[poly_sel][idx[ok]].tolist()
        prim.poly_from_hatch = [False] * int(ok.sum())

    # open lines on polygon layers are kept as lines too (they count for the CRS check)
    line_sel = has & (is_line | (is_poly & np.isin(gtype, (1, 2, 5))))
    line_sel &= gtype != 0
    if line_sel.any():
        bound = shapely.boundary(geoms[line_sel])
        as_lines = np.where(np.isin(gtype[line_sel], (3, 6)), bound, geoms[line_sel])
        parts, idx = shapely.get_parts(as_lines, return_index=True)
        parts = shapely.force_2d(parts)
        ok = np.isin(shapely.get_type_id(parts), (1, 2))
        prim.lines = parts[ok].tolist()
        prim.line_layers = layer_names[line_sel][idx[ok]].tolist()
    return prim
