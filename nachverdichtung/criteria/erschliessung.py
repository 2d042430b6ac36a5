"""Erschließung: clear width and walking length of the access corridor from the public road.

The corridor runs over the area's own parcel(s) (the union of the parcels in
``candidates["flurstuecke"]``) and is free of buildings, garages included. Its **clear width** is the
widest ``w`` at which the area stays connected to the road: the free space (own parcels minus
buildings) is eroded by ``w / 2``; a disk of diameter ``w`` can travel from the road to the area if
one connected part of the eroded set comes within ``w / 2`` of both. The thresholds are tested
exactly (1.25 m and 3 m, less 1 cm), then the width is narrowed by bisection inside its bracket;
every step erodes all areas at once (shapely is vectorised over arrays with one radius per area).

The **walking length** is the geodesic distance from the road to the area inside the corridor,
measured on a grid (default 1 m pitch, 8 neighbours, one sparse Dijkstra over the grids of all areas
together). Each grid is laid along the longest boundary segment of the area's own parcels, so
corridors along or across the parcel are measured to about one pitch whatever the parcel's
orientation; a corridor running diagonally to its parcel can be up to 8 % too long (octile metric).
A grid point is passable where it lies in the free space eroded by ``min(w, 3 m) / 2 − pitch / √2``:
every path of the exact corridor then maps to a chain of passable neighbouring grid points.

Where no corridor of the minimum width exists over the own parcels, the same test is repeated over
the free space of the own plus the adjoining parcels: if that works, access needs an easement
(Baulast) over a neighbour's parcel and the area is at most "bedingt geeignet".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from ..candidates import parcel_unions
from ..parallel import elementwise, map_tasks
from ..params import param
from ..sindex import query
from .base import BEDINGT, NICHT, UNBEWERTET, Rule, fmt, not_rated, register, result_frame, rule_class
from ..io.clean import geometry_array as _arr

NAME = "erschliessung"
MEASURES = ("breite_m", "laenge_m", "ueber_nachbar")
_TOL = 0.01  # 1 cm: a corridor exactly as wide as the threshold passes


@dataclass(frozen=True)
class AccessParams:
    """Parameters of the access criterion."""

    breite_geeignet_m: float = param(3.0, doc="Lichte Breite einer Zufahrt, ab der die Fläche geeignet ist", unit="m",
                                     source="§ 7 LBauO RLP: Zufahrt 3 m (Gebäudeklassen 4–5); DOMAIN.md §2", min=0)
    breite_min_m: float = param(1.25, doc="Lichte Breite des geradlinigen Zugangs, unter der die Fläche nicht "
                                          "geeignet ist", unit="m",
                                source="§ 7 LBauO RLP: Zugang 1,25 m (Gebäudeklassen 2–3); DOMAIN.md §2", min=0)
    laenge_max_m: float = param(50.0, doc="Größte Lauflänge von der öffentlichen Verkehrsfläche bis zur Fläche",
                                unit="m", source="§ 5 MBO (50-m-Regel); für RLP unbestätigt, DOMAIN.md §2", min=0)
    breite_obergrenze_m: float = param(12.0, doc="Breiten darüber werden nicht weiter unterschieden "
                                                 "(Obergrenze der Suche)", unit="m", min=0,
                                       source="Konvention: das Vierfache der 3-m-Zufahrt; breitere Zugänge ändern "
                                              "keine Klasse, die Suche endet dort")
    genauigkeit_m: float = param(0.02, doc="Genauigkeit der Breitenbestimmung (Bisektion)", unit="m", min=0.001,
                                 source="Konvention: 2 cm liegt unter der Lagegenauigkeit der ALKIS-Grenzen "
                                        "(Zentimeterbereich); genauer misst keine Grenzaufnahme")
    raster_m: float = param(1.0, doc="Rasterweite für die Lauflänge", unit="m", min=0.1,
                            source="Konvention: 1 m Raster misst die Lauflänge auf etwa 1 m genau, feiner "
                                   "als die 50-m-Grenze verlangt, bei vertretbarem Speicher")
    strassen_toleranz_m: float = param(0.5, doc="Lücke zwischen Flurstück und Verkehrsfläche, die noch als "
                                                "angrenzend gilt", unit="m", min=0,
                                        source="Konvention: 0,5 m überbrückt Digitalisierungslücken zwischen "
                                               "Flurstück und Verkehrsfläche, aber keinen Grundstücksstreifen")
    verkehrsarten: tuple[str, ...] = param(("strassenverkehr", "weg", "platz"),
                                           doc="Verkehrsflächen, die als öffentliche Erschließung zählen",
                                           choices=("strassenverkehr", "weg", "platz"),
                                           source="DOMAIN.md §1: ax_strassenverkehr, ax_weg, ax_platz")
    nachbarn_pruefen: bool = param(True, doc="Ohne eigene Zufahrt prüfen, ob eine über Nachbarflurstücke "
                                             "(Baulast) möglich ist", source="DOMAIN.md §2: Baulast kennzeichnen")


_WIDER = "Eigentümer: Baulast über ein Nachbarflurstück oder Nebengebäude in der Zufahrt beseitigen"
RULES = (
    Rule("breite_m", "<", NICHT, "breite_min_m", digits=2, unit="m", wenn="die Zufahrt {target} statt {value} "
         "breit ist", hebel=_WIDER),
    Rule("breite_m", "<", BEDINGT, "breite_geeignet_m", digits=2, unit="m", wenn="die Zufahrt {target} statt {value} breit ist",
         hebel=_WIDER),
    Rule("laenge_m", ">", BEDINGT, "laenge_max_m", digits=0, unit="m", wenn="die Zufahrt höchstens {target} statt "
         "{value} lang ist", hebel="Eigentümer: kürzere Zufahrt über ein Nachbarflurstück per Baulast sichern"),
    Rule("ueber_nachbar", ">", BEDINGT, value=0.0, step=1.0, wenn="die Zufahrt über das Nachbarflurstück "
         "rechtlich gesichert ist", hebel="Eigentümer: Baulast mit dem Nachbarn eintragen lassen"),
)
#: The widths decide where neighbours are searched and how wide the walking corridor is: measuring.
RATING_PARAMS = ("laenge_max_m",)


def classify(m, params: "AccessParams") -> np.ndarray:
    """Class from the stored measures: no width (no parcels) → nicht bewertet, else the access rules."""
    width = m["breite_m"].to_numpy(dtype=float)
    return np.where(np.isnan(width), UNBEWERTET, rule_class(m, RULES, params)).astype(object)


def _collect(targets: np.ndarray, pool: np.ndarray, *, distance: float, n: int) -> np.ndarray:
    """Per target, a GeometryCollection of the pool geometries within ``distance`` (None if none)."""
    out = np.full(n, None, dtype=object)
    if len(pool) == 0 or n == 0:
        return out
    ok = ~shapely.is_missing(targets)
    ti, pj = query(shapely.STRtree(pool), np.where(ok, targets, None), predicate="dwithin", distance=distance) \
        if distance > 0 else query(shapely.STRtree(pool), np.where(ok, targets, None), predicate="intersects")
    if len(ti):
        order = np.argsort(ti, kind="stable")
        ti, pj = ti[order], pj[order]
        owners = np.unique(ti)
        out[owners] = shapely.geometrycollections(pool[pj], indices=np.searchsorted(owners, ti))
    return out


def _clip(geoms: np.ndarray, around: np.ndarray, margin: float) -> np.ndarray:
    """Clip ``geoms`` to the bounding box of ``around`` grown by ``margin`` (long roads get local)."""
    out = geoms.copy()
    has = ~shapely.is_missing(geoms) & ~shapely.is_missing(around)
    if has.any():
        b = shapely.bounds(around[has])
        rect = shapely.box(b[:, 0] - margin, b[:, 1] - margin, b[:, 2] + margin, b[:, 3] + margin)
        out[has] = elementwise(shapely.intersection, elementwise(shapely.buffer, geoms[has], 0), rect)
    return out


def _free_space(own: np.ndarray, blockers: np.ndarray) -> np.ndarray:
    """``own − ∪ blockers`` per area (blockers are collections or None)."""
    free = own.copy()
    has = ~shapely.is_missing(blockers)
    if has.any():
        free[has] = elementwise(shapely.difference, own[has], elementwise(shapely.buffer, blockers[has], 0))
    return free


def _connected(free: np.ndarray, road: np.ndarray, area: np.ndarray, width: np.ndarray, tol: float) -> np.ndarray:
    """True where a disk of diameter ``width`` can travel inside ``free`` from ``road`` to ``area``."""
    n = len(free)
    ok = np.zeros(n, dtype=bool)
    todo = np.flatnonzero(~shapely.is_missing(free) & ~shapely.is_missing(road) & (width > 0))
    if len(todo) == 0:
        return ok
    r = width[todo] / 2.0
    eroded = elementwise(shapely.buffer, free[todo], -r, quad_segs=4)
    parts, idx = shapely.get_parts(eroded, return_index=True)
    if len(parts) == 0:
        return ok
    reach = r[idx] + tol
    hit = elementwise(shapely.dwithin, parts, road[todo][idx], reach) \
        & elementwise(shapely.dwithin, parts, area[todo][idx], reach)
    ok[todo[np.unique(idx[hit])]] = True
    return ok


def clear_width(free: np.ndarray, road: np.ndarray, area: np.ndarray, *, thresholds: tuple[float, ...],
                upper: float, precision: float, tol: float) -> np.ndarray:
    """Widest corridor (m) connecting each area to its road inside ``free``; 0 if none, ``upper`` at most.

    The thresholds are tested exactly first (less 1 cm), so the class never depends on the bisection;
    inside its bracket the width is then bisected to ``precision`` and the middle of the final
    bracket is returned (a width ≥ a threshold only if that threshold's test passed).

    Examples
    --------
    >>> free = np.array([shapely.box(0, 0, 2, 10).union(shapely.box(-5, 10, 7, 20))])
    >>> road = np.array([shapely.box(-5, -5, 7, 0)])
    >>> area = np.array([shapely.box(-5, 12, 7, 20)])
    >>> w = clear_width(free, road, area, thresholds=(1.25, 3.0), upper=12, precision=0.05, tol=0.5)
    >>> bool(abs(w[0] - 2.0) < 0.05)
    True
    """
    n = len(free)
    steps = sorted({t for t in thresholds if 0 < t < upper} | {upper})
    lo = np.zeros(n)
    hi = np.full(n, float(upper))
    passed = np.ones(n, dtype=bool)
    for t in steps:
        live = np.flatnonzero(passed)
        if len(live) == 0:
            break
        ok = _connected(free[live], road[live], area[live], np.full(len(live), t - _TOL), tol)
        lo[live[ok]] = t
        hi[live[~ok]] = t
        passed[live[~ok]] = False
    # bisection inside each bracket (areas at the upper bound are done)
    todo = np.flatnonzero(lo < upper)
    while len(todo):
        todo = todo[hi[todo] - lo[todo] > precision]
        if len(todo) == 0:
            break
        mid = (lo[todo] + hi[todo]) / 2.0
        ok = _connected(free[todo], road[todo], area[todo], mid, tol)
        lo[todo[ok]] = mid[ok]
        hi[todo[~ok]] = mid[~ok]
    # report the middle of the final bracket (within precision / 2); 0 stays 0
    return np.where((lo > 0) & (lo < upper), (lo + hi) / 2.0, lo)


def _frame(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direction of the longest boundary segment of each geometry (radians) and its centroid.

    Parcels are mostly bounded by long straight side boundaries; a grid along them measures
    corridors running along or across the parcel without the octile error of oblique grids.
    """
    angle = np.zeros(len(geoms))
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    same = cidx[1:] == cidx[:-1]
    if same.any():
        d = coords[1:][same] - coords[:-1][same]
        owner = pidx[ridx[cidx[:-1][same]]]
        order = np.lexsort((-np.hypot(d[:, 0], d[:, 1]), owner))
        first = order[np.r_[0, np.flatnonzero(np.diff(owner[order])) + 1]]
        angle[owner[first]] = np.arctan2(d[first, 1], d[first, 0])
    return angle, shapely.get_coordinates(shapely.centroid(geoms))


def _rotate(geoms: np.ndarray, angle: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Rotate each geometry by its own angle (radians) about its own origin."""
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    c, s = np.cos(angle[idx]), np.sin(angle[idx])
    x, y = coords[:, 0] - origin[idx, 0], coords[:, 1] - origin[idx, 1]
    return shapely.set_coordinates(geoms.copy(), np.column_stack([c * x - s * y, s * x + c * y]))


#: Grid points per Dijkstra run of :func:`walking_length`: bounds the memory (about 60 bytes a point,
#: one run per thread at a time) without changing a result (the grids of different areas are never linked).
CHUNK_CELLS = 2_000_000
#: Dijkstra runs of :func:`walking_length` at once (threads): bounds the memory on a machine with many
#: cores to about this many × 120 MB.
PARALLEL_RUNS = 4


@dataclass(frozen=True)
class _Grids:
    """The corridor grids of some areas: per area its passable space, interior, road, frame and size."""

    passable: np.ndarray
    inner: np.ndarray
    road: np.ndarray
    area: np.ndarray
    r: np.ndarray
    ang: np.ndarray
    cen: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    nx: np.ndarray
    ny: np.ndarray

    def take(self, sel: np.ndarray) -> "_Grids":
        return _Grids(**{k: getattr(self, k)[sel] for k in self.__dataclass_fields__})


def walking_length(free: np.ndarray, road: np.ndarray, area: np.ndarray, width: np.ndarray, *,
                   pitch: float, tol: float, chunk_cells: int = CHUNK_CELLS) -> np.ndarray:
    """Geodesic distance (m) from the road to the area inside the corridor of ``width``; NaN if none.

    One grid per area (pitch ``pitch``) over the eroded free space; the grids of up to ``chunk_cells``
    points form one sparse graph and one multi-source Dijkstra run (a virtual source linked to the grid
    points near the road with their distance to it) gives their distances at once.
    """
    out = np.full(len(free), np.nan)
    use = np.flatnonzero(~shapely.is_missing(free) & ~shapely.is_missing(road) & (width > 0))
    if len(use) == 0:
        return out
    r = np.maximum(width[use] / 2.0 - _TOL - pitch / np.sqrt(2.0), 0.0)
    passable = np.where(r > 0, elementwise(shapely.buffer, free[use], -r, quad_segs=4), free[use])
    inner = elementwise(shapely.buffer, area[use], -pitch, quad_segs=4)  # interior of the area: not needed
    good = ~(shapely.is_missing(passable) | shapely.is_empty(passable))
    use, passable, inner, r = use[good], passable[good], inner[good], r[good]
    if len(use) == 0:
        return out
    # each grid is laid in its own frame (the direction of the longest boundary segment of the free
    # space), so corridors along or across the parcel are measured without the octile error
    ang, cen = _frame(free[use])
    b = shapely.bounds(_rotate(passable, -ang, cen))
    x0, y0 = b[:, 0] + pitch / 2, b[:, 1] + pitch / 2
    nx = np.maximum(np.ceil((b[:, 2] - x0) / pitch).astype(np.int64) + 1, 1)
    ny = np.maximum(np.ceil((b[:, 3] - y0) / pitch).astype(np.int64) + 1, 1)
    grids = _Grids(passable, inner, road[use], area[use], r, ang, cen, x0, y0, nx, ny)
    shapely.prepare(passable)
    shapely.prepare(inner)
    chunks = _chunks(nx * ny, chunk_cells)
    lengths = map_tasks(lambda sel: _grid_lengths(grids.take(sel), pitch=pitch, tol=tol), chunks,
                        limit=PARALLEL_RUNS)
    for sel, part in zip(chunks, lengths):
        out[use[sel]] = part
    return out


def _chunks(cells: np.ndarray, limit: int) -> list[np.ndarray]:
    """Consecutive index runs of at most ``limit`` cells (an area larger than that alone)."""
    out, begin, acc = [], 0, 0
    for i, c in enumerate(cells.tolist()):
        if acc and acc + c > limit:
            out.append(np.arange(begin, i))
            begin, acc = i, 0
        acc += c
    out.append(np.arange(begin, len(cells)))
    return out


def _grid_points(g: _Grids, pitch: float):
    """Passable grid points of every area: owner, column, row and world coordinates."""
    total = g.nx * g.ny
    start = np.concatenate(([0], np.cumsum(total)[:-1]))
    owner = np.repeat(np.arange(len(total)), total)
    local = np.arange(len(owner)) - start[owner]
    ix, iy = local % g.nx[owner], local // g.nx[owner]
    del local
    lx, ly = g.x0[owner] + ix * pitch, g.y0[owner] + iy * pitch
    c, s_ = np.cos(g.ang)[owner], np.sin(g.ang)[owner]
    gx = g.cen[owner, 0] + c * lx - s_ * ly
    gy = g.cen[owner, 1] + s_ * lx + c * ly
    del lx, ly, c, s_
    # the area's interior first (large for block interiors), then the corridor test on the rest
    cell_ok = ~elementwise(shapely.contains_xy, g.inner[owner], gx, gy, by=owner)
    rest = np.flatnonzero(cell_ok)
    cell_ok[rest] = elementwise(shapely.contains_xy, g.passable[owner[rest]], gx[rest], gy[rest],
                                 by=owner[rest])
    return cell_ok, owner, ix, iy, gx, gy


def _grid_lengths(g: _Grids, *, pitch: float, tol: float) -> np.ndarray:
    """Walking length per area of ``g`` (NaN where the area is not reached): one graph, one Dijkstra."""
    cell_ok, owner, ix, iy, gx, gy = _grid_points(g, pitch)
    # graph over the passable points only (compressed ids); node m is the virtual source
    nodes = np.flatnonzero(cell_ok)
    cid = np.cumsum(cell_ok) - 1
    m = len(nodes)
    own_n, ix_n, iy_n = owner[nodes], ix[nodes], iy[nodes]
    gx_n, gy_n = gx[nodes], gy[nodes]
    del owner, ix, iy, gx, gy
    nx_n, ny_n = g.nx[own_n], g.ny[own_n]
    rows, cols, wts = [], [], []
    # each undirected edge once: to the right, up, up-right and up-left neighbour
    for dx, dy, w in ((1, 0, pitch), (0, 1, pitch), (1, 1, pitch * np.sqrt(2)), (-1, 1, pitch * np.sqrt(2))):
        inside = (ix_n + dx >= 0) & (ix_n + dx < nx_n) & (iy_n + dy < ny_n)
        src = np.flatnonzero(inside)
        dst = nodes[src] + dx + dy * nx_n[src]
        keep = cell_ok[dst]
        rows.append(src[keep])
        cols.append(cid[dst[keep]])
        wts.append(np.full(int(keep.sum()), w))
    del cell_ok, cid
    # sources: passable points near the road, linked to node m with their distance to the road
    near_road = elementwise(shapely.buffer, g.road, g.r + pitch + tol, quad_segs=4)
    shapely.prepare(near_road)
    cand = np.flatnonzero(elementwise(shapely.contains_xy, near_road[own_n], gx_n, gy_n, by=own_n))
    d_road = elementwise(shapely.distance, shapely.points(gx_n[cand], gy_n[cand]), g.road[own_n[cand]])
    rows.append(np.full(len(cand), m))
    cols.append(cand)
    wts.append(np.maximum(d_road, 1e-6))
    graph = coo_matrix((np.concatenate(wts), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(m + 1, m + 1)).tocsr()
    dist = dijkstra(graph, directed=False, indices=m)[:m]
    # targets: passable points within one pitch of the area, plus their distance to it
    near_area = elementwise(shapely.buffer, g.area, pitch, quad_segs=4)
    shapely.prepare(near_area)
    tgt = np.flatnonzero(np.isfinite(dist))
    tgt = tgt[elementwise(shapely.contains_xy, near_area[own_n[tgt]], gx_n[tgt], gy_n[tgt],
                          by=own_n[tgt])]
    first = np.full(len(g.r), np.inf)
    np.minimum.at(first, own_n[tgt], dist[tgt])
    tgt = tgt[dist[tgt] <= first[own_n[tgt]] + 2 * pitch]  # only the nearest few need the exact remainder
    total_len = dist[tgt] + elementwise(shapely.distance, shapely.points(gx_n[tgt], gy_n[tgt]), g.area[own_n[tgt]])
    best = np.full(len(g.r), np.inf)
    np.minimum.at(best, own_n[tgt], total_len)
    return np.where(np.isfinite(best), best, np.nan)


@register(name=NAME, title="Erschließung", params=AccessParams,
          summary="Lichte Breite und Lauflänge der gebäudefreien Zufahrt von der öffentlichen Verkehrsfläche "
                  "über die eigenen Flurstücke; Zufahrt nur über Nachbarflurstücke (Baulast) wird gekennzeichnet.",
          key_measure="breite_m", rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: AccessParams):
    """Rate access: ≥ 3 m and ≤ 50 m geeignet; 1,25–3 m, > 50 m or only via a neighbour bedingt; else nicht.

    Needs only required layers (parcels, buildings, roads); an area without listed parcels, or a
    district without public traffic areas, is "nicht bewertet".
    """
    idx = candidates.index
    n = len(candidates)
    roads = layers.roads[layers.roads["art"].isin(params.verkehrsarten)]
    if len(roads) == 0:
        return not_rated(idx, NAME, "keine öffentlichen Verkehrsflächen angegeben", MEASURES)
    if "flurstuecke" not in candidates.columns:
        return not_rated(idx, NAME, "keine Flurstücke zugeordnet", MEASURES)
    area = _arr(candidates.geometry)
    own = _arr(parcel_unions(candidates, layers.parcels)) if n else np.array([], dtype=object)
    no_parcel = shapely.is_missing(own) | shapely.is_empty(own)
    own = np.where(no_parcel, None, own)
    P = _arr(layers.parcels.geometry)
    R = _arr(roads.geometry)
    B = _arr(layers.buildings.geometry)
    tol = params.strassen_toleranz_m
    thresholds = (params.breite_min_m, params.breite_geeignet_m)
    margin = params.breite_obergrenze_m + tol + 2 * params.raster_m
    road_own = _clip(_collect(own, R, distance=tol, n=n), own, margin)
    free_own = _free_space(own, _collect(own, B, distance=0, n=n))
    width = clear_width(free_own, road_own, area, thresholds=thresholds, upper=params.breite_obergrenze_m,
                        precision=params.genauigkeit_m, tol=tol)
    via_nb = np.zeros(n, dtype=bool)
    free, road = free_own, road_own
    weak = np.flatnonzero(~no_parcel & (width < params.breite_min_m))
    if params.nachbarn_pruefen and len(weak):
        # own parcels plus every parcel touching them
        grown = shapely.buffer(_collect(own[weak], P, distance=tol, n=len(weak)), 0)
        road_nb = _clip(_collect(grown, R, distance=tol, n=len(weak)), grown, margin)
        free_nb = _free_space(grown, _collect(grown, B, distance=0, n=len(weak)))
        w_nb = clear_width(free_nb, road_nb, area[weak], thresholds=thresholds, upper=params.breite_obergrenze_m,
                           precision=params.genauigkeit_m, tol=tol)
        ok = w_nb >= params.breite_min_m
        via_nb[weak[ok]] = True
        width = width.copy()
        width[weak[ok]] = w_nb[ok]
        free, road = free_own.copy(), road_own.copy()
        free[weak[ok]], road[weak[ok]] = free_nb[ok], road_nb[ok]
    has_access = width >= params.breite_min_m
    length = np.full(n, np.nan)
    lw = np.where(has_access, np.minimum(width, params.breite_geeignet_m), 0.0)
    length[has_access] = walking_length(free[has_access], road[has_access], area[has_access], lw[has_access],
                                        pitch=params.raster_m, tol=tol)
    length = np.round(length, 1)
    width = np.where(no_parcel, np.nan, _to_cm(width, thresholds))
    measures = {"breite_m": width, "laenge_m": length, "ueber_nachbar": via_nb}
    klasse = classify(pd.DataFrame(measures), params)
    wide = width >= params.breite_geeignet_m
    too_long = length > params.laenge_max_m
    grund = _reasons(klasse, width, length, via_nb, wide, too_long, params)
    return result_frame(idx, NAME, measures, klasse, grund)


def _to_cm(width: np.ndarray, thresholds) -> np.ndarray:
    """Widths rounded to whole centimetres, never rounded up onto a threshold they failed.

    Examples
    --------
    >>> _to_cm(np.array([2.996, 3.004, 1.994]), (1.25, 3.0)).tolist()
    [2.99, 3.0, 1.99]
    """
    out = np.round(width, 2)
    for t in thresholds:
        out = np.where((width < t) & (out >= t), np.floor(t * 100.0 - 1e-6) / 100.0, out)
    return out


def _reasons(klasse, width, length, via_nb, wide, too_long, p: AccessParams) -> list[str]:
    wmin, wok, lmax = fmt(p.breite_min_m, 2, "m"), fmt(p.breite_geeignet_m, 0, "m"), fmt(p.laenge_max_m, 0, "m")
    out = []
    for k, w, le, nb, wd, tl in zip(klasse, width, length, via_nb, wide, too_long):
        wtxt = (f"mehr als {fmt(p.breite_obergrenze_m, 0, 'm')}" if w >= p.breite_obergrenze_m
                else fmt(w, 1, "m"))
        ltxt = fmt(le, 0, "m") if le == le else "Länge unbestimmt"
        if k == UNBEWERTET:
            out.append("keine Flurstücke zugeordnet")
        elif k == NICHT:
            out.append(f"keine Zufahrt ≥ {wmin} über eigene Flurstücke"
                       + (f" (schmalste Stelle {fmt(w, 1, 'm')})" if w > 0 else ""))
        elif nb:
            out.append(f"Zufahrt nur über Nachbarflurstück ({wtxt} breit, {ltxt} lang): Baulast nötig")
        elif not wd and tl:
            out.append(f"Zufahrt nur {fmt(w, 1, 'm')} breit und {ltxt} lang (> {lmax})")
        elif not wd:
            out.append(f"Zufahrt nur {fmt(w, 1, 'm')} breit (< {wok})")
        elif tl:
            out.append(f"Zufahrt {wtxt} breit, aber {ltxt} lang (> {lmax})")
        else:
            out.append(f"Zufahrt {wtxt} breit, {ltxt} lang")
    return out
