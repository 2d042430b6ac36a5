"""How many rectangular building footprints fit into polygons (vectorised, exact fit test).

For a footprint rectangle ``R`` the set of positions where ``p + R`` lies inside a polygon ``E`` is
the morphological erosion ``E ⊖ R = E ∖ (∂E ⊕ (−R))``. The Minkowski sum of each boundary segment
with a rectangle is the convex hull of eight points, so the erosion is built from vectorised
convex hulls, one union per polygon and one difference. It is computed in each polygon's own
frame (the orientation of its minimum rotated rectangle) and along the grid axes, with the
footprint in both orientations; the best variant wins.

The count of footprints is the number of points of a placement lattice (pitch = footprint + gap)
that fall into the erosion, maximised over four lattice phases: a good lower bound for rows of
houses, not an optimal packing.
"""

from __future__ import annotations

import numpy as np
import shapely

from .parallel import elementwise

__all__ = ["count_footprints", "count_footprints_sizes", "erode_by_rectangle", "footprint_fits", "union_collections"]

_TOL = 0.01  # 1 cm: a footprint that fits exactly still fits
#: Smallest part of an erosion that shows a real fit (m²). The footprint is eroded 1 cm smaller than it
#: is, so where the full footprint fits, the smaller one fits on a whole 1 cm × 1 cm square of positions
#: (area _TOL²); half of that absorbs rounding. Smaller parts are rounding slivers of the union of the
#: sweeps (up to ~4e-15 m²) where nothing fits.
_MIN_FREE_M2 = 0.5 * _TOL ** 2
_SIMPLIFY = 0.1


def _rotate(geoms: np.ndarray, angles: np.ndarray, origins: np.ndarray) -> np.ndarray:
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    c, s = np.cos(angles[idx]), np.sin(angles[idx])
    x, y = coords[:, 0] - origins[idx, 0], coords[:, 1] - origins[idx, 1]
    return shapely.set_coordinates(geoms.copy(), np.column_stack([c * x - s * y, s * x + c * y]))


def union_collections(collections: np.ndarray) -> np.ndarray:
    """Union of the parts of each GeometryCollection (GEOS cascaded union, vectorised).

    About 3–4 × faster than ``buffer(collection, 0)`` for many overlapping parts (profiled in
    ``scripts/benchmark.py``).
    """
    unary = getattr(shapely.lib, "unary_union", None)
    if unary is None:  # pragma: no cover - older shapely
        return elementwise(shapely.buffer, np.asarray(collections, dtype=object), 0)
    return elementwise(unary, np.asarray(collections, dtype=object))


def erode_by_rectangle(polys: np.ndarray, a: float, b: float) -> np.ndarray:
    """Positions of the lower-left corner of an axis-parallel ``a × b`` rectangle inside each polygon.

    Examples
    --------
    >>> e = erode_by_rectangle(np.array([shapely.box(0, 0, 10, 8)]), 4, 3)
    >>> round(float(shapely.area(e[0])), 3)   # (10 - 4) × (8 - 3)
    30.0
    """
    polys = np.asarray(polys, dtype=object)
    out = np.array([shapely.Polygon()] * len(polys), dtype=object)
    ok = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    if not ok.any():
        return out
    parts, pidx = shapely.get_parts(polys[ok], return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    coords, cidx = shapely.get_coordinates(rings, return_index=True)
    same = cidx[1:] == cidx[:-1]
    p, q = coords[:-1][same], coords[1:][same]
    seg_owner = pidx[ridx[cidx[:-1][same]]]
    corners = np.array([[0, 0], [a, 0], [a, b], [0, b]], dtype=float)
    pts = np.concatenate([p[:, None, :] - corners[None], q[:, None, :] - corners[None]], axis=1)  # (n, 8, 2)
    # the hull of the eight corners as a line: the same coordinates without building eight Point objects
    hulls = elementwise(shapely.convex_hull, shapely.linestrings(pts))
    sweeps = shapely.geometrycollections(hulls, indices=seg_owner)
    blocked = union_collections(sweeps)
    owners = np.unique(seg_owner)
    inner = np.asarray(polys[ok])[owners]
    eroded = elementwise(shapely.difference, inner, blocked)
    res = out[ok]
    res[owners] = eroded
    out[ok] = res
    return out


def _solid(free: np.ndarray) -> np.ndarray:
    """The erosions without their rounding slivers (parts below ``_MIN_FREE_M2``); empty where none is left."""
    free = np.asarray(free, dtype=object)
    ok = ~(shapely.is_missing(free) | shapely.is_empty(free))
    out = np.full(len(free), shapely.Polygon(), dtype=object)
    if not ok.any():
        return out
    parts, idx = shapely.get_parts(free[ok], return_index=True)
    keep = shapely.area(parts) >= _MIN_FREE_M2
    if keep.any():
        rows = np.flatnonzero(ok)[idx[keep]]
        uniq, inverse = np.unique(rows, return_inverse=True)
        out[uniq] = shapely.geometrycollections(parts[keep], indices=inverse)
        single = np.bincount(inverse) == 1
        out[uniq[single]] = parts[keep][np.searchsorted(inverse, np.flatnonzero(single))]
    return out


def _lattice_count(free: np.ndarray, px: float, py: float) -> np.ndarray:
    """Maximum number of lattice points (pitch px × py, four phases) inside each free region.

    Rounding slivers of the erosion (:func:`_solid`) hold no footprint and are not counted.
    """
    free = _solid(free)
    n = len(free)
    best = np.zeros(n, dtype=np.int64)
    has = ~(shapely.is_missing(free) | shapely.is_empty(free))
    if not has.any():
        return best
    ids = np.flatnonzero(has)
    bnd = shapely.bounds(free[ids])
    for fx in (0.0, 0.5):
        for fy in (0.0, 0.5):
            # 1 mm inside: the first row would sit exactly on the edge and be lost to rounding after
            # rotation (footprints are already 1 cm smaller, so nothing that does not fit is counted)
            x0 = bnd[:, 0] + fx * px + 1e-3
            y0 = bnd[:, 1] + fy * py + 1e-3
            nx = np.maximum(np.floor((bnd[:, 2] - x0) / px).astype(np.int64) + 1, 0)
            ny = np.maximum(np.floor((bnd[:, 3] - y0) / py).astype(np.int64) + 1, 0)
            total = nx * ny
            owner = np.repeat(np.arange(len(ids)), total)
            if len(owner) == 0:
                continue
            local = np.arange(len(owner)) - np.repeat(np.cumsum(total) - total, total)
            gx = x0[owner] + (local % nx[owner]) * px
            gy = y0[owner] + (local // nx[owner]) * py
            inside = elementwise(shapely.intersects_xy, free[ids][owner], gx, gy, by=owner)
            cnt = np.bincount(owner[inside], minlength=len(ids))
            best[ids] = np.maximum(best[ids], cnt)
    # a non-empty (solid) erosion holds at least one footprint
    best[has] = np.maximum(best[has], 1)
    return best


def _frames(polys) -> tuple[np.ndarray, list[np.ndarray]]:
    """Positions of the non-empty polygons and their two frames (own orientation, grid axes).

    Both frames are the polygon simplified by 0.1 m (the many vertices of rounded setback buffers
    drop; the erosion cost grows with the vertex count, the answer changes by at most the tolerance)
    and moved to its centroid; the first is turned by its minimum rotated rectangle's first edge.
    """
    polys = np.asarray(polys, dtype=object)
    ok = ~(shapely.is_missing(polys) | shapely.is_empty(polys))
    ids = np.flatnonzero(ok)
    if not len(ids):
        return ids, []
    geoms = elementwise(shapely.simplify, polys[ids], _SIMPLIFY, preserve_topology=True)
    rect = shapely.oriented_envelope(geoms)
    rc = shapely.get_coordinates(shapely.get_exterior_ring(rect), return_index=False)
    # first edge of each oriented envelope (5 coordinates per ring; degenerate envelopes fall back to 0)
    nring = shapely.get_num_coordinates(shapely.get_exterior_ring(rect))
    start = np.concatenate(([0], np.cumsum(nring)[:-1]))
    angle = np.zeros(len(ids))
    good = nring >= 2
    d = rc[start[good] + 1] - rc[start[good]]
    angle[good] = np.arctan2(d[:, 1], d[:, 0])
    cen = shapely.get_coordinates(shapely.centroid(geoms))
    return ids, [_rotate(geoms, ang, cen) for ang in (-angle, np.zeros(len(ids)))]


def count_footprints_sizes(polys, sizes, *, gap: float = 6.0) -> list[np.ndarray]:
    """:func:`count_footprints` for several ``(width, length)`` footprints, the frames built once."""
    n = len(polys)
    ids, frames = _frames(polys)
    out = []
    for width, length in sizes:
        best = np.zeros(n, dtype=np.int64)
        a, b = width - _TOL, length - _TOL
        for frame in frames:
            for w, h in ((a, b), (b, a)):
                free = erode_by_rectangle(frame, w, h)
                best[ids] = np.maximum(best[ids], _lattice_count(free, w + gap, h + gap))
        out.append(best)
    return out


def count_footprints(polys, width: float, length: float, *, gap: float = 6.0) -> np.ndarray:
    """Number of ``width × length`` footprints that fit into each polygon.

    Parameters
    ----------
    polys
        Buildable envelopes (setbacks already subtracted).
    width, length
        Footprint size in m.
    gap
        Clear distance between two new footprints (two 3 m setbacks by default).

    Returns
    -------
    ndarray of int
        0 where not even one footprint fits.

    Examples
    --------
    >>> count_footprints([shapely.box(0, 0, 12, 10)], 10, 12).tolist()
    [1]
    >>> count_footprints([shapely.box(0, 0, 11, 9)], 10, 12).tolist()
    [0]
    """
    return count_footprints_sizes(polys, [(width, length)], gap=gap)[0]


def footprint_fits(polys, width: float, length: float) -> np.ndarray:
    """Whether one ``width × length`` footprint fits: exactly ``count_footprints(...) > 0``, cheaper.

    A polygon is decided by the first frame and orientation whose erosion is not empty; only the
    undecided polygons go on to the next (each erosion is per polygon, so the answer is the same).

    Examples
    --------
    >>> footprint_fits([shapely.box(0, 0, 12, 10), shapely.box(0, 0, 11, 9)], 10, 12).tolist()
    [True, False]
    """
    fits = np.zeros(len(polys), dtype=bool)
    ids, frames = _frames(polys)
    a, b = width - _TOL, length - _TOL
    todo = np.arange(len(ids))
    for frame in frames:
        for w, h in ((a, b), (b, a)):
            if not len(todo):
                return fits
            free = _solid(erode_by_rectangle(frame[todo], w, h))
            hit = ~shapely.is_empty(free)
            fits[ids[todo[hit]]] = True
            todo = todo[~hit]
    return fits
