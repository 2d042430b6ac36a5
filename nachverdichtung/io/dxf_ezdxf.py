"""Read the modelspace of a DXF file with ezdxf into flat, role-agnostic primitives.

The result of :func:`extract` is a :class:`Primitives` bundle: polygons (closed polylines and
hatches), lines (open polylines, LINE, ARC; used for parcels drawn as "Einzellinien") and texts
(TEXT, MTEXT, ATTRIB), each tagged with its DXF layer. :mod:`nachverdichtung.io.dxf` turns them
into the canonical role frames. Coordinates are collected as NumPy arrays and turned into shapely
geometries in bulk; only bulged polylines and hatches go through ezdxf's path flattening.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

logger = logging.getLogger(__name__)

__all__ = ["Primitives", "open_document", "extract", "fix_mojibake"]

#: Max. distance (m) between an arc and its chords when bulges and arcs are flattened.
FLATTEN_DISTANCE = 0.005

_STACKED = re.compile(r"\\S([^;^/#]*)[\^/#]([^;]*);")


@dataclass
class Primitives:
    """Flat geometry primitives of one DXF file, each with the layer it was drawn on."""

    poly_layers: list[str] = field(default_factory=list)
    polygons: list = field(default_factory=list)  # shapely Polygons
    poly_from_hatch: list[bool] = field(default_factory=list)
    line_layers: list[str] = field(default_factory=list)
    lines: list = field(default_factory=list)  # shapely LineStrings
    text_layers: list[str] = field(default_factory=list)
    text_xy: list[tuple[float, float]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    layers_seen: list[str] = field(default_factory=list)  # every layer with entities


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded as cp1252 ("FlurstÃ¼cke" → "Flurstücke").

    Files newer than R2007 are UTF-8 by specification, but some exporters write UTF-8 into older
    versions that declare ``$DWGCODEPAGE=ANSI_1252``.

    >>> fix_mojibake("FlurstÃ¼cke")
    'Flurstücke'
    """
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def open_document(path: Path, *, encoding: str | None = None):
    """Open *path* with ezdxf; fall back to ``ezdxf.recover`` for damaged files.

    Returns ``(doc, problems)``. Raises the library's own exceptions; the caller turns them into
    :class:`~nachverdichtung.errors.InputError`.
    """
    import ezdxf
    from ezdxf import recover

    problems: list[str] = []
    try:
        doc = ezdxf.readfile(path, encoding=encoding)
    except (ezdxf.DXFError, UnicodeError, ValueError, KeyError, IndexError, TypeError) as exc:
        logger.info("%s: strict read failed (%s), trying ezdxf.recover", path, exc)
        doc, auditor = recover.readfile(path)
        problems.append(
            f"{path.name}: Datei ist beschädigt und wurde mit ezdxf.recover repariert "
            f"({len(auditor.errors)} Fehler, {len(auditor.fixes)} Korrekturen)"
        )
    else:
        if doc.dxfversion >= "AC1021" and encoding:
            logger.info("%s: DXF %s is UTF-8 by specification; encoding=%s ignored",
                        path, doc.dxfversion, encoding)
    return doc, problems


def _entities(doc) -> Callable:
    from ezdxf.disassemble import recursive_decompose

    return recursive_decompose(doc.modelspace())


def _ring_from_path(path) -> np.ndarray | None:
    pts = np.array([(v.x, v.y) for v in path.flattening(FLATTEN_DISTANCE)], dtype=float)
    if len(pts) < 3:
        return None
    return pts


def _closed(pts: np.ndarray) -> np.ndarray:
    if not np.array_equal(pts[0], pts[-1]):
        pts = np.vstack([pts, pts[:1]])
    return pts


def _hatch_polygons(hatch) -> list:
    """Polygons of a HATCH, holes by even-odd nesting of its boundary paths."""
    from ezdxf import path as ezpath

    rings = []
    for p in ezpath.from_hatch(hatch):
        pts = _ring_from_path(p)
        if pts is not None and len(pts) >= 3:
            rings.append(shapely.make_valid(shapely.Polygon(pts)))
    rings = [r for r in rings if not r.is_empty and r.area > 0]
    if not rings:
        return []
    # Even-odd rule: the symmetric difference of all rings gives outer areas with holes.
    rings.sort(key=lambda g: -g.area)
    geom = rings[0]
    for r in rings[1:]:
        geom = geom.symmetric_difference(r)
    return [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon" and g.area > 0]


def extract(doc, *, wanted: Callable[[str], str | None]) -> Primitives:
    """Collect polygons, lines and texts of the layers for which ``wanted(layer)`` is not None.

    ``wanted`` returns None (layer ignored) or a string naming what to collect: ``"poly"``,
    ``"line"`` (closed shapes are also kept as boundary lines), ``"text"``, or ``"text+poly"`` /
    ``"text+line"`` for layers that carry both geometry and parcel numbers.
    """
    from ezdxf import path as ezpath

    prim = Primitives()
    fast_rings: list[np.ndarray] = []
    fast_layers: list[str] = []
    fast_lines: list[np.ndarray] = []
    fast_line_layers: list[str] = []
    skipped: dict[str, int] = {}
    failed = 0
    decoded: dict[str, tuple[str, str | None]] = {}

    for entity in _entities(doc):
        try:
            raw_layer = entity.dxf.get("layer", "0")
        except AttributeError:
            continue
        if raw_layer not in decoded:
            name = fix_mojibake(raw_layer)
            decoded[raw_layer] = (name, wanted(name))
        layer, kind = decoded[raw_layer]
        if kind is None:
            continue
        etype = entity.dxftype()
        try:
            if etype in ("TEXT", "ATTRIB", "MTEXT"):
                if "text" not in kind:
                    continue
                if etype == "MTEXT":
                    from ezdxf.tools.text import plain_mtext

                    text = plain_mtext(_STACKED.sub(r"\1/\2", entity.text))
                    ins = entity.dxf.insert
                else:
                    text = entity.plain_text()
                    ins = entity.dxf.insert
                    if (entity.dxf.get("halign", 0) or entity.dxf.get("valign", 0)) and \
                            entity.dxf.hasattr("align_point"):
                        ins = entity.dxf.align_point
                prim.text_layers.append(layer)
                prim.text_xy.append((ins[0], ins[1]))
                prim.texts.append(fix_mojibake(text).strip())
            elif etype == "HATCH":
                if kind == "text":
                    continue
                for poly in _hatch_polygons(entity):
                    if "poly" in kind:
                        prim.poly_layers.append(layer)
                        prim.polygons.append(poly)
                        prim.poly_from_hatch.append(True)
                    else:
                        for ring in [poly.exterior, *poly.interiors]:
                            prim.line_layers.append(layer)
                            prim.lines.append(shapely.LineString(ring.coords))
            elif etype in ("LWPOLYLINE", "POLYLINE", "LINE", "ARC", "CIRCLE", "SPLINE",
                           "ELLIPSE"):
                if kind == "text":
                    continue
                if etype == "POLYLINE" and (entity.is_poly_face_mesh or entity.is_polygon_mesh):
                    skipped[etype] = skipped.get(etype, 0) + 1
                    continue
                closed = etype == "CIRCLE" or (
                    etype in ("LWPOLYLINE", "POLYLINE") and entity.is_closed
                )
                pts = None
                if etype == "LWPOLYLINE" and tuple(entity.dxf.extrusion) == (0, 0, 1):
                    arr = np.asarray(entity.get_points("xyb"), dtype=float)
                    if len(arr) and not arr[:, 2].any():
                        pts = arr[:, :2]
                elif etype == "LINE":
                    s, e = entity.dxf.start, entity.dxf.end
                    pts = np.array([(s[0], s[1]), (e[0], e[1])], dtype=float)
                if pts is None:
                    pts = np.array(
                        [(v.x, v.y) for v in ezpath.make_path(entity).flattening(FLATTEN_DISTANCE)],
                        dtype=float,
                    )
                if len(pts) < 2:
                    continue
                if not closed and len(pts) > 3 and np.allclose(pts[0], pts[-1]):
                    closed = True  # closed by coordinates, not by flag
                if "poly" in kind and closed and len(pts) >= 3:
                    fast_rings.append(_closed(pts))
                    fast_layers.append(layer)
                else:
                    fast_lines.append(_closed(pts) if closed else pts)
                    fast_line_layers.append(layer)
            else:
                skipped[etype] = skipped.get(etype, 0) + 1
        except Exception as exc:  # noqa: BLE001 - one bad entity must not sink the file; reported
            failed += 1
            logger.debug("entity %s on %s skipped: %s", etype, layer, exc)

    if fast_rings:
        lengths = np.fromiter((len(r) for r in fast_rings), dtype=np.int64, count=len(fast_rings))
        ok = lengths >= 4
        rings = [r for r, k in zip(fast_rings, ok) if k]
        if rings:
            coords = np.concatenate(rings)
            idx = np.repeat(np.arange(len(rings)), [len(r) for r in rings])
            polys = shapely.polygons(shapely.linearrings(coords, indices=idx))
            prim.polygons.extend(polys.tolist())
            prim.poly_layers.extend(lay for lay, k in zip(fast_layers, ok) if k)
            prim.poly_from_hatch.extend([False] * len(rings))
    if fast_lines:
        coords = np.concatenate(fast_lines)
        idx = np.repeat(np.arange(len(fast_lines)), [len(r) for r in fast_lines])
        prim.lines.extend(shapely.linestrings(coords, indices=idx).tolist())
        prim.line_layers.extend(fast_line_layers)
    prim.layers_seen = sorted({name for name, _ in decoded.values()})
    if failed:
        prim.problems.append(f"{failed} DXF-Objekte konnten nicht gelesen werden und fehlen")
    for etype, n in sorted(skipped.items()):
        logger.info("%d %s entities on mapped layers ignored", n, etype)
    return prim


def count_entities(doc) -> dict[tuple[str, str], int]:
    """(layer, entity type) → count over the modelspace, block references exploded."""
    counts: dict[tuple[str, str], int] = {}
    for entity in _entities(doc):
        try:
            key = (fix_mojibake(entity.dxf.get("layer", "0")), entity.dxftype())
        except AttributeError:
            continue
        counts[key] = counts.get(key, 0) + 1
    return counts
