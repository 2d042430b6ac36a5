"""Read the modelspace of a DXF file with ezdxf into flat, role-agnostic primitives.

The result of :func:`extract` is a :class:`Primitives` bundle: polygons (closed polylines and
hatches, with the attributes of their XDATA), lines (open polylines, LINE, ARC; used for parcels
drawn as "Einzellinien", Flur boundaries, Bruchstriche and Zuordnungspfeile), texts (TEXT, MTEXT,
ATTRIB) and block references with their attributes (INSERT + ATTRIB), each tagged with its DXF
layer, plus the entity counts of every layer. :mod:`nachverdichtung.io.dxf` turns them
into the canonical role frames. Coordinates are collected as NumPy arrays and turned into shapely
geometries in bulk; only bulged polylines and hatches go through ezdxf's path flattening.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

logger = logging.getLogger(__name__)

__all__ = ["Primitives", "open_document", "extract", "fix_mojibake", "xdata_attributes"]

#: Max. distance (m) between an arc and its chords when bulges and arcs are flattened.
FLATTEN_DISTANCE = 0.005
#: Default gap (m) up to which a polyline whose first and last points differ still counts as closed.
CLOSE_TOLERANCE = 0.01
#: Entity kinds counted per layer (for the list of layers no role uses).
KIND_LABEL = {"poly": "Flächen", "line": "Linien", "text": "Texte", "insert": "Blöcke",
              "other": "sonstige Objekte"}

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
    poly_attrs: list[dict] = field(default_factory=list)  # XDATA key → value, per polygon
    insert_layers: list[str] = field(default_factory=list)
    insert_xy: list[tuple[float, float]] = field(default_factory=list)
    insert_attrs: list[dict] = field(default_factory=list)  # ATTRIB tag (key) → text
    problems: list[str] = field(default_factory=list)
    layers_seen: list[str] = field(default_factory=list)  # every layer with entities
    layer_counts: dict = field(default_factory=dict)  # layer → {kind: count}, all layers


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


def library_errors() -> tuple[type[BaseException], ...]:
    """What ezdxf raises for a file it cannot parse: its own errors, bad bytes, bad numbers, and the
    end of the tag stream in the middle of a structure (a truncated file: ``StopIteration``, ``EOFError``,
    ``struct.error`` for binary DXF).

    A function so that ezdxf is imported only when a DXF is read; use it as
    ``except library_errors() as exc``. Anything else raised while reading is a bug of this
    package and surfaces as one instead of a "broken file" message.
    """
    import ezdxf

    return (ezdxf.DXFError, UnicodeError, ValueError, StopIteration, EOFError, struct.error)


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


def _walk(entities, inserts: list, block_keys: frozenset = frozenset(), depth: int = 0):
    """Like ``ezdxf.disassemble.recursive_decompose``, but each INSERT with ATTRIBs is also
    appended to *inserts* as ``(insert, {tag: text})``. Its ATTRIBs are yielded as texts unless
    a tag (case-folded) is in *block_keys*; then the block is read as a whole."""
    from ezdxf.disassemble import recursive_decompose
    from ezdxf.entities import Insert

    for entity in entities:
        if isinstance(entity, Insert) and depth < 8:
            if entity.mcount > 1:
                yield from _walk(entity.multi_insert(), inserts, block_keys, depth + 1)
                continue
            attribs = list(entity.attribs)
            if attribs:
                tags = {a.dxf.get("tag", ""): a.dxf.get("text", "") for a in attribs}
                inserts.append((entity, tags))
                if not block_keys & {str(t).strip().casefold() for t in tags}:
                    yield from attribs
            yield from _walk(entity.virtual_entities(), inserts, block_keys, depth + 1)
        elif isinstance(entity, Insert):
            continue
        else:
            yield from recursive_decompose([entity])


def xdata_attributes(entity) -> dict:
    """Key → value pairs from an entity's XDATA, over all application ids.

    Two layouts are understood: strings ``"key=value"`` (or ``"key: value"``), and a string key
    followed by its value (string or number).

    >>> import ezdxf
    >>> doc = ezdxf.new(); _ = doc.appids.add("ALKIS")
    >>> e = doc.modelspace().add_lwpolyline([(0, 0), (1, 0), (1, 1)])
    >>> e.set_xdata("ALKIS", [(1000, "gebaeudefunktion"), (1070, 1010), (1000, "geschosse=2")])
    >>> xdata_attributes(e)
    {'gebaeudefunktion': 1010, 'geschosse': '2'}
    """
    xdata = getattr(entity, "xdata", None)
    if not xdata:
        return {}
    out: dict = {}
    for tags in xdata.data.values():
        key = None
        for tag in tags:
            if tag.code == 1001:
                continue
            value = tag.value
            if isinstance(value, str) and key is None:
                m = re.match(r"^\s*([^=:]+?)\s*[=:]\s*(.*)$", value)
                if m:
                    out[m.group(1).strip().casefold()] = m.group(2).strip()
                else:
                    key = value.strip().casefold()
            elif key is not None and tag.code in (1000, 1040, 1041, 1042, 1070, 1071):
                out[key] = value
                key = None
    return out


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


_CURVES = ("LWPOLYLINE", "POLYLINE", "LINE", "ARC", "CIRCLE", "SPLINE", "ELLIPSE")


class _Collector:
    """Accumulates the primitives of one file; coordinates of simple polylines stay NumPy."""

    def __init__(self, close_tol: float) -> None:
        self.prim = Primitives()
        self.close_tol = close_tol
        self.rings: list[np.ndarray] = []
        self.ring_layers: list[str] = []
        self.ring_attrs: list[dict] = []
        self.lines: list[np.ndarray] = []
        self.line_layers: list[str] = []
        self.skipped: dict[str, int] = {}

    def count(self, layer: str, kind: str) -> None:
        per = self.prim.layer_counts.setdefault(layer, {})
        per[kind] = per.get(kind, 0) + 1

    def text(self, entity, layer: str) -> None:
        if entity.dxftype() == "MTEXT":
            from ezdxf.tools.text import plain_mtext

            text = plain_mtext(_STACKED.sub(r"\1/\2", entity.text))
            ins = entity.dxf.insert
        else:
            text = entity.plain_text()
            ins = entity.dxf.insert
            if (entity.dxf.get("halign", 0) or entity.dxf.get("valign", 0)) and \
                    entity.dxf.hasattr("align_point"):
                ins = entity.dxf.align_point
        self.prim.text_layers.append(layer)
        self.prim.text_xy.append((ins[0], ins[1]))
        self.prim.texts.append(fix_mojibake(text).strip())

    def hatch(self, entity, layer: str, kind: str) -> None:
        attrs = xdata_attributes(entity)
        for poly in _hatch_polygons(entity):
            if "poly" in kind:
                self.prim.poly_layers.append(layer)
                self.prim.polygons.append(poly)
                self.prim.poly_from_hatch.append(True)
                self.prim.poly_attrs.append(attrs)
            else:
                for ring in [poly.exterior, *poly.interiors]:
                    self.prim.line_layers.append(layer)
                    self.prim.lines.append(shapely.LineString(ring.coords))

    def curve(self, entity, layer: str, kind: str) -> None:
        from ezdxf import path as ezpath

        etype = entity.dxftype()
        if etype == "POLYLINE" and (entity.is_poly_face_mesh or entity.is_polygon_mesh):
            self.skipped[etype] = self.skipped.get(etype, 0) + 1
            return
        closed = etype == "CIRCLE" or (etype in ("LWPOLYLINE", "POLYLINE") and entity.is_closed)
        pts = None
        if etype == "LWPOLYLINE" and tuple(entity.dxf.extrusion) == (0, 0, 1):
            arr = np.asarray(entity.get_points("xyb"), dtype=float)
            if len(arr) and not arr[:, 2].any():
                pts = arr[:, :2]
        elif etype == "LINE":
            s, e = entity.dxf.start, entity.dxf.end
            pts = np.array([(s[0], s[1]), (e[0], e[1])], dtype=float)
        if pts is None:
            pts = np.array([(v.x, v.y) for v in ezpath.make_path(entity).flattening(FLATTEN_DISTANCE)],
                           dtype=float)
        if len(pts) < 2:
            return
        if not closed and len(pts) > 3 and np.hypot(*(pts[0] - pts[-1])) <= self.close_tol:
            closed = True  # closed by coordinates (within an absolute tolerance), not by flag
        if "poly" in kind and closed and len(pts) >= 3:
            self.rings.append(_closed(pts))
            self.ring_layers.append(layer)
            self.ring_attrs.append(xdata_attributes(entity))
        else:
            self.lines.append(_closed(pts) if closed else pts)
            self.line_layers.append(layer)

    def finish(self) -> Primitives:
        prim = self.prim
        ok = [len(r) >= 4 for r in self.rings]
        rings = [r for r, k in zip(self.rings, ok) if k]
        if rings:
            coords = np.concatenate(rings)
            idx = np.repeat(np.arange(len(rings)), [len(r) for r in rings])
            prim.polygons.extend(shapely.polygons(shapely.linearrings(coords, indices=idx)).tolist())
            prim.poly_layers.extend(lay for lay, k in zip(self.ring_layers, ok) if k)
            prim.poly_from_hatch.extend([False] * len(rings))
            prim.poly_attrs.extend(a for a, k in zip(self.ring_attrs, ok) if k)
        if self.lines:
            coords = np.concatenate(self.lines)
            idx = np.repeat(np.arange(len(self.lines)), [len(r) for r in self.lines])
            prim.lines.extend(shapely.linestrings(coords, indices=idx).tolist())
            prim.line_layers.extend(self.line_layers)
        for etype, n in sorted(self.skipped.items()):
            logger.info("%d %s entities on mapped layers ignored", n, etype)
        return prim


def _kind_of(entity, etype: str) -> str:
    """What an entity counts as in the per-layer counts: poly, line, text or other."""
    if etype in ("TEXT", "ATTRIB", "MTEXT"):
        return "text"
    if etype in ("HATCH", "CIRCLE"):
        return "poly"
    if etype in ("LWPOLYLINE", "POLYLINE"):
        return "poly" if getattr(entity, "is_closed", False) else "line"
    return "line" if etype in _CURVES else "other"


def extract(doc, *, wanted: Callable[[str], str | None],
            close_tolerance: float = CLOSE_TOLERANCE,
            block_keys: frozenset = frozenset()) -> Primitives:
    """Collect polygons, lines, texts and attributed blocks of the layers for which
    ``wanted(layer)`` is not None; count the entities of every layer.

    ``wanted`` returns None (layer ignored) or a string naming what to collect: ``"poly"``,
    ``"line"`` (closed shapes are also kept as boundary lines), ``"text"`` (texts and lines,
    e.g. Bruchstriche), or ``"text+poly"`` / ``"text+line"`` for layers that carry both geometry
    and texts. A polyline whose ends are at most *close_tolerance* metres apart counts as closed.
    Blocks with an ATTRIB tag in *block_keys* are kept whole (:attr:`Primitives.insert_attrs`).
    """
    col = _Collector(close_tolerance)
    failed = 0
    decoded: dict[str, tuple[str, str | None]] = {}
    inserts: list = []
    for entity in _walk(doc.modelspace(), inserts, block_keys):
        try:
            raw_layer = entity.dxf.get("layer", "0")
        except AttributeError:
            continue
        if raw_layer not in decoded:
            name = fix_mojibake(raw_layer)
            decoded[raw_layer] = (name, wanted(name))
        layer, kind = decoded[raw_layer]
        etype = entity.dxftype()
        col.count(layer, _kind_of(entity, etype))
        if kind is None:
            continue
        try:
            if etype in ("TEXT", "ATTRIB", "MTEXT"):
                if "text" in kind:
                    col.text(entity, layer)
            elif etype == "HATCH":
                if kind != "text":
                    col.hatch(entity, layer, kind)
            elif etype in _CURVES:
                col.curve(entity, layer, kind)
            else:
                col.skipped[etype] = col.skipped.get(etype, 0) + 1
        except Exception as exc:  # noqa: BLE001 - one bad entity must not sink the file; reported
            failed += 1
            logger.debug("entity %s on %s skipped: %s", etype, layer, exc)
    prim = col.finish()
    _add_inserts(prim, inserts)
    prim.layers_seen = sorted({name for name, _ in decoded.values()})
    if failed:
        prim.problems.append(f"{failed} DXF-Objekte konnten nicht gelesen werden und fehlen")
    return prim


def _add_inserts(prim: Primitives, inserts: list) -> None:
    """Block references with attributes: position, layer and ``{tag (case-folded): text}``."""
    for ref, attrs in inserts:
        try:
            layer = fix_mojibake(ref.dxf.get("layer", "0"))
            ins = ref.dxf.insert
        except AttributeError:
            continue
        prim.insert_layers.append(layer)
        prim.insert_xy.append((ins[0], ins[1]))
        prim.insert_attrs.append({str(k).strip().casefold(): fix_mojibake(str(v)).strip()
                                  for k, v in attrs.items()})
        per = prim.layer_counts.setdefault(layer, {})
        per["insert"] = per.get("insert", 0) + 1


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
