"""Parcels (Flurstücke) of one sample tile.

Blocks are filled row by row: each row of parcels fronts one street and is drawn in a *row frame*
(``x`` along the street, ``y`` = depth into the block), which the building and ground-truth code
reuse. Block styles give the district its mix: normal and deep gardens, narrow strip parcels,
through-lots, flag lots with an access strip, a cul-de-sac, a big garden parcel in a block interior,
mixed use along the main road and an industrial estate beyond the railway.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from nachverdichtung.sample.edge import add_edge_parcels
from nachverdichtung.sample.geometry import frame_rect
from nachverdichtung.sample.streets import (
    CULDESAC,
    EW_NAMES,
    GEWERBE_STREET_V,
    NS_STREETS,
    PLATZ,
    RAIL_V,
    STYLES,
    Grid,
    cols_for_row,
)

WIDTHS = {
    "normal": (10.0, 20.0),
    "deep": (12.0, 24.0),
    "deep_noprec": (12.0, 24.0),
    "strip": (7.0, 10.5),
    "mixed": (14.0, 26.0),
    "platz": (14.0, 26.0),
    "flag": (16.0, 24.0),
    "through": (14.0, 20.0),
    "shallow": (8.0, 14.0),
    "culdesac": (17.0, 22.0),
    "garden": (15.0, 22.0),
}
#: Planted cases: (row, col, side, parcel width). side "s" fronts the street south of the block.
PLANTED = {
    "topographie": (8, 1, "s", 22.0),
    "naturschutz": (5, 0, "s", 22.0),
    "starkregen": (4, 4, "n", 22.0),
    "baeume": (7, 5, "s", 24.0),
    "erschliessung_blockiert": (5, 1, "n", 22.0),
    "erschliessung_frei": (7, 1, "n", 24.0),
    "klima": (7, 0, "s", 22.0),
    "immissionen": (0, 5, "n", 22.0),
    "vorbild": (4, 1, "s", 26.0),
    "vorbild_ohne": (8, 5, "s", 22.0),
}
FLANK_W = 9.0


def _widths(rng, length, lo, hi):
    n = max(1, int(round(length / ((lo + hi) / 2))))
    w = rng.uniform(lo, hi, n)
    return w * (length / w.sum())


def _row_widths(rng, length, style, planted_w, shadow=False):
    lo, hi = WIDTHS[style]
    if planted_w is None:
        return list(_widths(rng, length, lo, hi)), None
    special = [FLANK_W, FLANK_W, planted_w, FLANK_W, FLANK_W]
    if shadow:
        # Narrow parcels back to back with the planted one keep its backyard a separate area.
        special = [sum(special) / 7] * 7
    pre = length / 2 - sum(special) / 2
    post = length - pre - sum(special)
    left = list(_widths(rng, pre, lo, hi))
    right = list(_widths(rng, post, lo, hi))
    return left + special + right, (len(left) + 3 if shadow else len(left) + 2)


class _Collector:
    """Accumulates parcel records (local coordinates, row frames)."""

    def __init__(self):
        self.rec: dict[str, list] = {k: [] for k in (
            "geom", "row", "col", "side", "street", "style", "landuse", "kind", "case",
            "ox", "oy", "ax", "ay", "nx", "ny", "x0", "x1", "depth", "block")}

    def add(self, geom, *, row, col, side, street, style, landuse, kind, frame, x0, x1, depth, case=""):
        (ox, oy), (ax, ay), (nx, ny) = frame
        for k, v in (("geom", geom), ("row", row), ("col", col), ("side", side), ("street", street),
                     ("style", style), ("landuse", landuse), ("kind", kind), ("case", case),
                     ("ox", ox), ("oy", oy), ("ax", ax), ("ay", ay), ("nx", nx), ("ny", ny),
                     ("x0", x0), ("x1", x1), ("depth", depth), ("block", row * 10 + col)):
            self.rec[k].append(v)

    def row(self, rng, *, frame, length, depth, style, landuse, row, col, side, street, planted=None,
            shadow=None):
        pw = None if (planted or shadow) is None else PLANTED[planted or shadow][3]
        widths, pidx = _row_widths(rng, length, style, pw, shadow=shadow is not None)
        edges = np.concatenate([[0.0], np.cumsum(widths)])
        n = len(widths)
        flag = style == "flag"
        for i in range(n):
            x0, x1 = edges[i], edges[i + 1]
            case = planted if (planted and i == pidx) else ""
            kind = "corner" if i in (0, n - 1) else "normal"
            if pidx is not None and 0 < abs(i - pidx) <= (3 if shadow else 2) or (shadow and i == pidx):
                kind = "flank"
            if flag and not case and 0 < i < n - 1 and x1 - x0 >= 18 and rng.random() < 0.4 \
                    and (pidx is None or abs(i - pidx) > 2):
                fd = min(30.0, depth / 2)
                front = frame_rect(*frame, x0 + 4.0, x1, 0.0, fd)[0]
                rear = shapely.union(frame_rect(*frame, x0, x1, fd, depth)[0],
                                     frame_rect(*frame, x0, x0 + 4.0, 0.0, fd)[0])
                self.add(front, row=row, col=col, side=side, street=street, style=style, landuse=landuse,
                         kind="flag_front", frame=frame, x0=x0 + 4.0, x1=x1, depth=fd)
                self.add(rear, row=row, col=col, side=side, street=street, style=style, landuse=landuse,
                         kind="flag_rear", frame=frame, x0=x0, x1=x1, depth=depth)
                continue
            if style == "strip":
                kind = "strip"
            geom = frame_rect(*frame, x0, x1, 0.0, depth)[0]
            self.add(geom, row=row, col=col, side=side, street=street, style=style, landuse=landuse,
                     kind=kind, frame=frame, x0=x0, x1=x1, depth=depth, case=case)


def _planted_at(row, col, side):
    for case, (r, c, s, _w) in PLANTED.items():
        if (r, c, s) == (row, col, side):
            return case
    return None


def build_parcels(grid: Grid, roads: list, rng: np.random.Generator) -> pd.DataFrame:
    """Cut every block into parcels.

    Parameters
    ----------
    grid
        Row and street positions.
    roads
        Street polygons (local); parcels are clipped against them where streets cut into blocks.
    rng
        Random generator (deterministic with the seed).

    Returns
    -------
    DataFrame with one row per parcel: local polygon, row frame, street, style, land use, kind.
    """
    col_ = _Collector()
    for r, (v0, v1) in enumerate(grid.rows):
        for c, (u0, u1) in enumerate(cols_for_row(r)):
            _block_parcels(col_, rng, grid, roads, r, c, (u0, u1), (v0, v1))
    _gewerbe_parcels(col_, rng)
    # The village edge west of Am Feldrand: strip parcels, church, school, hamlet.
    add_edge_parcels(col_)
    df = pd.DataFrame(col_.rec)
    df["geom"] = _clip_to_roads(np.array(df["geom"].to_numpy(), dtype=object), roads)
    return df


_E, _N, _S = (1.0, 0.0), (0.0, 1.0), (0.0, -1.0)


def _block_parcels(col_, rng, grid: Grid, roads: list, r: int, c: int, u: tuple, v: tuple) -> None:
    """Cut block (row ``r``, column ``c``, extent ``u`` × ``v``) into parcels by its style."""
    (u0, u1), (v0, v1) = u, v
    E, N, S = _E, _N, _S
    depth_total = v1 - v0
    style = STYLES[r][c]
    landuse = "gemischt" if style in ("mixed", "platz") else ("gruen" if style == "green" else "wohnbau")
    west = c < 3
    south_street = EW_NAMES[r - 1][0 if west else 1] if r >= 1 else None
    north_street = EW_NAMES[r][0 if west else 1] if r < len(grid.streets) else None
    kw = dict(row=r, col=c, landuse=landuse)
    if style == "green":
        geom = shapely.box(u0, v0, u1, v1)
        for part in shapely.get_parts(shapely.difference(geom, shapely.union_all(roads))):
            b = part.bounds
            col_.add(part, side="s", street=south_street, style=style, kind="green",
                     frame=((b[0], v0), E, N), x0=0.0, x1=b[2] - b[0], depth=depth_total, **kw)
        return
    if style == "platz":
        u0 = u0 + PLATZ["length"]
    if style == "through":
        col_.row(rng, frame=((u0, v0), E, N), length=u1 - u0, depth=depth_total, style=style,
                 side="s", street=south_street, **kw)
        return
    if r == 0:
        col_.row(rng, frame=((u0, v1), E, S), length=u1 - u0, depth=depth_total, style=style,
                 side="n", street=north_street, planted=_planted_at(r, c, "n"), **kw)
        return
    if r == len(grid.rows) - 1:
        col_.row(rng, frame=((u0, v0), E, N), length=u1 - u0, depth=depth_total, style=style,
                 side="s", street=south_street, planted=_planted_at(r, c, "s"), **kw)
        return
    if style == "culdesac":
        _culdesac(col_, rng, u0, u1, v0, v1, south_street, north_street, roads, kw)
        return
    if style == "garden":
        ds = dn = 45.0
    else:
        half = depth_total / 2
        ds = half if (_planted_at(r, c, "s") or _planted_at(r, c, "n")) else half + rng.uniform(-6, 6)
        dn = depth_total - ds
    col_.row(rng, frame=((u0, v0), E, N), length=u1 - u0, depth=ds, style=style, side="s",
             street=south_street, planted=_planted_at(r, c, "s"), shadow=_planted_at(r, c, "n"), **kw)
    col_.row(rng, frame=((u0, v1), E, S), length=u1 - u0, depth=dn, style=style, side="n",
             street=north_street, planted=_planted_at(r, c, "n"), shadow=_planted_at(r, c, "s"), **kw)
    if style == "garden":
        mid = (u0 + u1) / 2
        for a, b in ((u0, mid), (mid, u1)):
            col_.add(shapely.box(a, v0 + ds, b, v1 - dn), side="i", street=NS_STREETS[-1][0],
                     style=style, kind="interior", frame=((a, v0 + ds), E, N), x0=0.0, x1=b - a,
                     depth=v1 - dn - v0 - ds, **kw)


def _gewerbe_parcels(col_, rng) -> None:
    """Industrial estate south of the railway, both sides of the Gewerbestraße."""
    E, N, S = _E, _N, _S
    for side, (va, vb), frame in (("n", (GEWERBE_STREET_V[1], RAIL_V[0]), ((1009.0, GEWERBE_STREET_V[1]), E, N)),
                                  ("s", (45.0, GEWERBE_STREET_V[0]), ((1009.0, GEWERBE_STREET_V[0]), E, S))):
        widths = _widths(rng, 1745.0 - 1009.0, 40.0, 80.0)
        edges = np.concatenate([[0.0], np.cumsum(widths)])
        for i in range(len(widths)):
            geom = frame_rect(*frame, edges[i], edges[i + 1], 0.0, vb - va)[0]
            col_.add(geom, row=-1, col=3 + i, side=side, street="Gewerbestraße", style="gewerbe",
                     landuse="gewerbe", kind="gewerbe", frame=frame, x0=edges[i], x1=edges[i + 1],
                     depth=vb - va)


def _clip_to_roads(geoms: np.ndarray, roads: list) -> np.ndarray:
    """Streets that cut into blocks (cul-de-sac, square, paths) clip the parcels; the largest part stays."""
    roads_u = shapely.union_all(roads)
    hit = shapely.intersects(geoms, roads_u) & (shapely.area(shapely.intersection(geoms, roads_u)) > 0.01)
    if hit.any():
        clipped = shapely.difference(geoms[hit], roads_u)
        geoms[hit] = [max(shapely.get_parts(g), key=lambda p: p.area) for g in clipped]
    return geoms


def _culdesac(col_, rng, u0, u1, v0, v1, south_street, north_street, roads, kw):
    cd = CULDESAC
    uc, hw = cd["u"], cd["half_width"]
    dsouth = dnorth = 40.0
    E, N, S = (1.0, 0.0), (0.0, 1.0), (0.0, -1.0)
    col_.row(rng, frame=((u0, v0), E, N), length=uc - hw - u0, depth=dsouth, style="culdesac", side="s",
             street=south_street, **kw)
    col_.row(rng, frame=((uc + hw, v0), E, N), length=u1 - uc - hw, depth=dsouth, style="culdesac", side="s",
             street=south_street, **kw)
    col_.row(rng, frame=((u0, v1), E, S), length=u1 - u0, depth=dnorth, style="culdesac", side="n",
             street=north_street, **kw)
    length = (v1 - dnorth) - (v0 + dsouth)
    # Parcels facing the cul-de-sac reach back to the side streets: through-lots.
    col_.row(rng, frame=((uc - hw, v0 + dsouth), N, (-1.0, 0.0)), length=length, depth=uc - hw - u0,
             style="culdesac", side="w", street="Im Winkel", **kw)
    col_.row(rng, frame=((uc + hw, v0 + dsouth), N, E), length=length, depth=u1 - uc - hw,
             style="culdesac", side="e", street="Im Winkel", **kw)
