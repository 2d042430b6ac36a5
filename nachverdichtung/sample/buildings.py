"""Buildings (Gebäude) of one sample tile, placed in each parcel's row frame.

Main houses stand at the street front (setback 3-8 m, 9-14 m wide, 10-16 m deep); garages, sheds
and garden houses are ancillary; deep blocks and flag lots carry some existing rear houses
(precedents in the sense of § 34 BauGB); the mixed area along the main road and the industrial
estate have commercial buildings (``gebaeudefunktion`` 2000).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from nachverdichtung.sample.edge import edge_buildings, edge_rng

MAIN_RES = (1000, 1010, 1010, 1010, 1010, 1000)
MAIN_MIXED = (1100, 1120, 1130, 1100)
GARAGE, SHED, GARDEN_HOUSE, COMMERCIAL = 2463, 2723, 1313, 2000
#: Deep styles whose parcels may carry an existing rear house.
_PRECEDENT_STYLES = {"deep", "flag"}


def frame_polygons(fr: pd.DataFrame, x0, x1, y0, y1) -> np.ndarray:
    """Rectangles ``[x0,x1] x [y0,y1]`` in the row frames of ``fr`` (one row per rectangle)."""
    ox, oy, ax, ay, nx, ny = (fr[k].to_numpy(float)[:, None] for k in ("ox", "oy", "ax", "ay", "nx", "ny"))
    x0, x1, y0, y1 = (np.asarray(a, float) for a in (x0, x1, y0, y1))
    xs = np.stack([x0, x1, x1, x0, x0], axis=1)
    ys = np.stack([y0, y0, y1, y1, y0], axis=1)
    coords = np.stack([ox + xs * ax + ys * nx, oy + xs * ay + ys * ny], axis=2)
    return shapely.orient_polygons(shapely.polygons(coords))


class _B:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, p, x0, x1, y0, y1, funktion, geschosse, role):
        self.rows.append((p, x0, x1, y0, y1, funktion, geschosse, role))


def _house(b, rng, i, x0, x1, depth, *, mixed, strip=False):
    """Front house plus typical ancillary buildings; returns the side gaps (left, right)."""
    w = x1 - x0
    if strip:
        sb, hd = rng.uniform(0.0, 2.0), rng.uniform(12.0, 16.0)
        b.add(i, x0, x1, sb, sb + hd, int(rng.choice(MAIN_RES)), int(rng.choice([2, 2, 3])), "haupt")
        if rng.random() < 0.7 and depth > sb + hd + 14:
            b.add(i, x0, x1, sb + hd, sb + hd + rng.uniform(7, 11), SHED, 1, "neben")
        return 0.0, 0.0
    sb = rng.uniform(0.0, 4.0) if mixed else rng.uniform(3.0, 8.0)
    hd = min(rng.uniform(10.0, 16.0), depth - sb - 4.0)
    f = int(rng.choice(MAIN_MIXED if mixed else MAIN_RES))
    st = int(rng.choice([2, 2, 3, 3] if mixed else [1, 2, 2, 2, 3]))
    if w < 12.5:
        b.add(i, x0, x1, sb, sb + hd, f, st, "haupt")
        return 0.0, 0.0
    hw = min(rng.uniform(9.0, 14.0), w - 3.0)
    gap = w - hw
    gl = rng.uniform(3.0, gap - 3.0) if gap >= 6.0 else (0.0 if rng.random() < 0.4 else gap)
    b.add(i, x0 + gl, x0 + gl + hw, sb, sb + hd, f, st, "haupt")
    gr = gap - gl
    if rng.random() < 0.5 and max(gl, gr) >= 3.2:
        if gl >= gr:
            b.add(i, x0, x0 + 3.0, sb + 1.0, sb + 7.0, GARAGE, 1, "neben")
        else:
            b.add(i, x1 - 3.0, x1, sb + 1.0, sb + 7.0, GARAGE, 1, "neben")
    return gl, gr


def build_buildings(parcels: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Place buildings on all parcels.

    Returns
    -------
    DataFrame with local polygon ``geom``, ``funktion``, ``geschosse``, ``role``
    (``haupt``/``neben``/``gewerbe``), ``parcel`` (row position in ``parcels``) and ``rear``.
    """
    b = _B()
    erng = edge_rng()
    vb = parcels.loc[parcels["case"] == "vorbild", "block"]
    vorbild_block = int(vb.iloc[0]) if len(vb) else -1
    for i, p in enumerate(parcels.itertuples(index=False)):
        x0, x1, depth = p.x0, p.x1, p.depth
        w = x1 - x0
        mixed = p.landuse == "gemischt"
        if p.kind == "gewerbe":
            hw, hd = min(w - 10.0, rng.uniform(25.0, 60.0)), min(depth - 18.0, rng.uniform(20.0, 45.0))
            xa = x0 + (w - hw) / 2
            sb = rng.uniform(8.0, 14.0)
            b.add(i, xa, xa + hw, sb, sb + hd, COMMERCIAL, int(rng.choice([1, 2])), "gewerbe")
            continue
        if p.kind == "green":
            if w > 150:
                b.add(i, 10.0, 30.0, 6.0, 18.0, 3260, 1, "sonstige")
            continue
        if p.kind == "interior":
            if rng.random() < 0.6:
                xs = rng.uniform(10, w - 14)
                b.add(i, xs, xs + 4.0, depth / 2 - 2, depth / 2 + 2, GARDEN_HOUSE, 1, "neben")
            continue
        if edge_buildings(b, i, p, erng):
            continue
        if p.case and p.kind != "strip":
            _planted(b, i, p)
            continue
        if p.kind == "flank":
            # Narrow neighbours of a planted parcel: terraced house, and a workshop or store over the
            # whole rear garden, so the planted backyard stays a candidate area of its own.
            sb, hd = 5.0, 11.0
            b.add(i, x0, x1, sb, sb + hd, 1010, 2, "haupt")
            if depth >= 35.0:
                b.add(i, x0, x1, 22.0, depth - 2.0, COMMERCIAL, 1, "gewerbe")
            continue
        if p.kind == "flag_rear":
            fd = min(30.0, depth / 2)
            # Rear houses on flag lots are the precedents; the vorbild block always has them.
            if rng.random() < (1.0 if p.block == vorbild_block else 0.6):
                hw = min(rng.uniform(9.0, 12.0), w - 4.0 - 6.0)
                xa = x0 + 4.0 + (w - 4.0 - hw) / 2
                ya = fd + rng.uniform(4.0, 7.0)
                b.add(i, xa, xa + hw, ya, ya + rng.uniform(9.0, 11.0), 1010, int(rng.choice([1, 2])), "haupt")
            continue
        gl, gr = _house(b, rng, i, x0, x1, depth, mixed=mixed, strip=p.kind == "strip")
        if p.style == "through":
            side = x0 if gl >= gr else x1 - 3.0
            b.add(i, side, side + 3.0, depth - 7.0, depth - 1.0, GARAGE, 1, "neben")
        if mixed and rng.random() < 0.35 and depth > 40 and w > 14:
            cw, cd = min(rng.uniform(8.0, 14.0), w - 4.0), rng.uniform(8.0, 12.0)
            ya = min(depth - cd - 2.0, 24.0 + rng.uniform(0.0, 6.0))
            b.add(i, x0 + 2.0, x0 + 2.0 + cw, ya, ya + cd, COMMERCIAL, 1, "gewerbe")
            continue
        deep_rear = p.style in _PRECEDENT_STYLES and depth >= 55 and w >= 15 and rng.random() < 0.18
        if deep_rear:
            hw = min(9.0 + rng.uniform(0, 2), w - 6.0)
            xa = x0 + (w - hw) / 2
            b.add(i, xa, xa + hw, depth - 16.0, depth - 6.0, 1010, int(rng.choice([1, 2])), "haupt")
        elif depth >= 30 and rng.random() < 0.35:
            xs = x0 + 1.0 if rng.random() < 0.5 else x1 - 3.5
            b.add(i, xs, xs + 2.5, depth - 4.0, depth - 1.0, SHED, 1, "neben")
        elif depth >= 35 and rng.random() < 0.12:
            xs = x0 + 1.0 if rng.random() < 0.5 else x1 - 5.0
            b.add(i, xs, xs + 4.0, depth - 6.0, depth - 2.0, GARDEN_HOUSE, 1, "neben")
    cols = list(zip(*b.rows))
    out = pd.DataFrame({"parcel": np.array(cols[0], int), "funktion": np.array(cols[5], int),
                        "geschosse": np.array(cols[6], int), "role": np.array(cols[7], object)})
    fr = parcels.iloc[out["parcel"].to_numpy()].reset_index(drop=True)
    out["geom"] = frame_polygons(fr, cols[1], cols[2], cols[3], cols[4])
    out["rear"] = np.array(cols[3], float) > 20.0
    return out


def _planted(b, i, p):
    """House layouts of the planted parcels (kept clean: no garage, no shed in the backyard)."""
    x0, x1 = p.x0, p.x1
    if p.case == "erschliessung_blockiert":
        # House and attached double garage fill the front from side boundary to side boundary.
        b.add(i, x0, x0 + 14.0, 5.0, 17.0, 1010, 2, "haupt")
        b.add(i, x0 + 14.0, x1, 5.0, 12.0, GARAGE, 1, "neben")
    elif p.case == "erschliessung_frei":
        b.add(i, x0 + 2.0, x0 + 12.0, 5.0, 17.0, 1010, 2, "haupt")
    else:
        b.add(i, x0 + 4.0, x0 + 15.0, 5.0, 17.0, 1010, 2, "haupt")
