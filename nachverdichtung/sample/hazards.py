"""Raster themes of one tile: DEM, heavy-rain depth and velocity, flow paths and noise.

All rasters cover one tile cell (``PITCH_X`` x ``PITCH_Y`` m, north-up, EPSG:25832). The heavy-rain
model is a fast stand-in for a hydrodynamic SRI 10 1 h simulation that stays consistent with the
DEM: depressions are filled (Planchon-Darboux with epsilon), D8 flow accumulation gives the
discharge, Manning's formula the depth and velocity on flow paths, the water surface spreads across
the valley floor (height above nearest drainage), and filled sinks pond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy import ndimage as ndi
from scipy.sparse.linalg import spsolve

from nachverdichtung.sample.geometry import ORIGIN_X, ORIGIN_Y, PITCH_X, PITCH_Y, WARP
from nachverdichtung.sample.terrain import TerrainPlan, elevation

RAIN_INTENSITY = 0.055 / 3600.0  # SRI 10, 1 h in the Palatinate: about 55 mm/h, in m/s
RUNOFF = 0.7
MANNING_N = 0.05
CHANNEL_AREA = 15000.0  # m² upstream area from which a flow path spreads across the valley floor
LINE_AREA = 30000.0  # m² upstream area for the flow-path lines (fliesswege.gpkg)


@dataclass(frozen=True)
class TileGrid:
    """North-up raster grid over tile 0 at resolution ``res``."""

    res: float

    @property
    def shape(self) -> tuple[int, int]:
        return int(round(PITCH_Y / self.res)), int(round(PITCH_X / self.res))

    def centres(self, rows=slice(None)):
        h, w = self.shape
        xs = ORIGIN_X + (np.arange(w) + 0.5) * self.res
        ys = ORIGIN_Y + PITCH_Y - (np.arange(h)[rows] + 0.5) * self.res
        return np.meshgrid(xs, ys)


def _analytic_dem(res: float, plan: TerrainPlan) -> np.ndarray:
    X, Y = TileGrid(res).centres()
    u, v = WARP.inverse(X, Y)
    return elevation(u, v, plan)


def _upsample(a: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1:
        return a
    return ndi.zoom(a, factor, order=1, grid_mode=True, mode="nearest")


def make_dem(res: float, plan: TerrainPlan) -> np.ndarray:
    """DEM (float32) at ``res``; fine grids are interpolated from a 4 m evaluation of the surface."""
    coarse = max(res, 4.0)
    dem = _analytic_dem(coarse, plan)
    return _upsample(dem, coarse / res).astype(np.float32)


def _fill(dem: np.ndarray, eps: float = 1e-3, reach: int = 15) -> np.ndarray:
    """Planchon-Darboux depression filling with a small gradient across flats.

    Only windows of ``reach`` cells around local minima are flooded initially (the designed terrain
    has no large closed basins), which keeps the iteration count small.
    """
    pits = dem <= ndi.grey_erosion(dem, size=(3, 3), mode="nearest")
    pits[0, :] = pits[-1, :] = pits[:, 0] = pits[:, -1] = False
    wet = ndi.binary_dilation(pits, iterations=reach)
    wet[0, :] = wet[-1, :] = wet[:, 0] = wet[:, -1] = False
    W = np.where(wet, np.inf, dem)
    for _ in range(20000):
        Wn = np.maximum(dem, np.minimum(W, ndi.grey_erosion(W, size=(3, 3), mode="nearest") + eps))
        if np.array_equal(Wn, W):
            break
        W = Wn
    return W


_NB = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def _d8(W: np.ndarray, res: float):
    """Receiver index (or -1) and slope towards it for every cell."""
    h, w = W.shape
    P = np.pad(W, 1, mode="constant", constant_values=-np.inf)
    best = np.zeros(W.shape)
    rec = np.full(W.shape, -1, dtype=np.int64)
    idx = np.arange(h * w).reshape(h, w)
    for dr, dc in _NB:
        nb = P[1 + dr:1 + dr + h, 1 + dc:1 + dc + w]
        dist = res * (np.sqrt(2) if dr and dc else 1.0)
        drop = np.where(np.isfinite(nb), (W - nb) / dist, 0.0)
        better = drop > best
        best = np.where(better, drop, best)
        tgt = np.roll(np.roll(idx, -dr, axis=0), -dc, axis=1)
        rec = np.where(better, tgt, rec)
    # Border cells drain out of the grid.
    edge = np.zeros(W.shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    rec[edge] = -1
    return rec.ravel(), best.ravel()


def _accumulate(rec: np.ndarray, weight: np.ndarray) -> np.ndarray:
    n = rec.size
    donors = np.nonzero(rec >= 0)[0]
    A = sp.csc_matrix((-np.ones(donors.size), (rec[donors], donors)), shape=(n, n)) + sp.identity(n, format="csc")
    return spsolve(A, weight)


@dataclass
class RainResult:
    depth: np.ndarray  # at the DEM resolution
    velocity: np.ndarray
    lines: np.ndarray  # shapely LineStrings (world coordinates of tile 0)


def make_rain(dem: np.ndarray, res: float, plan: TerrainPlan) -> RainResult:
    """Heavy-rain maximum depth (m) and velocity (m/s) plus flow-path lines, consistent with the DEM."""
    hr = max(res, 5.0)
    z = _analytic_dem(hr, plan) if hr != res else dem.astype(float)
    W = _fill(z)
    rec, slope = _d8(W, hr)
    area = _accumulate(rec, np.full(rec.size, hr * hr)).reshape(z.shape)
    s = np.maximum(slope.reshape(z.shape), 0.005)
    q = area * RAIN_INTENSITY * RUNOFF
    width = np.clip(1.0 + np.sqrt(area) / 40.0, 1.0, 15.0)
    h_own = np.where(area >= 2000.0, (q * MANNING_N / (width * np.sqrt(s))) ** 0.6, 0.0)
    v_own = np.where(h_own > 0, h_own ** (2 / 3) * np.sqrt(s) / MANNING_N, 0.0)
    # Spread the channel water surface sideways over the flow width (height above nearest drainage).
    chan = area >= CHANNEL_AREA
    dist, (ir, ic) = ndi.distance_transform_edt(~chan, return_indices=True)
    surf = W[ir, ic] + h_own[ir, ic]
    reach = np.maximum(width[ir, ic] / 2.0, hr)
    h_spread = np.where(dist * hr <= reach, np.clip(surf - z, 0.0, None), 0.0)
    h_spread = np.minimum(h_spread, h_own[ir, ic])
    pond = np.where(W - z > 0.02, W - z, 0.0)
    depth = np.maximum.reduce([h_own, h_spread, pond])
    ratio = np.where(h_own[ir, ic] > 0, np.clip(h_spread / np.maximum(h_own[ir, ic], 1e-6), 0, 1), 0.0)
    vel = np.maximum(v_own, v_own[ir, ic] * ratio ** (2 / 3))
    vel = np.where(pond >= depth, np.minimum(vel, 0.05), vel)  # ponding water barely moves
    vel = np.where(depth > 0.0, np.minimum(vel, 3.5), 0.0)
    # To the output resolution: interpolate the water surface and subtract the fine DEM.
    f = hr / res
    surf_f = _upsample((z + depth).astype(float), f)
    depth_f = np.where(_upsample(depth, f) > 0.01, np.clip(surf_f - dem, 0.0, None), 0.0)
    vel_f = np.where(depth_f > 0.0, _upsample(vel, f), 0.0)
    lines = _lines(rec, area, hr, z.shape)
    return RainResult(depth_f.astype(np.float32), vel_f.astype(np.float32), lines)


def _lines(rec, area, hr, shape) -> np.ndarray:
    h, w = shape
    cells = np.nonzero((area.ravel() >= LINE_AREA) & (rec >= 0))[0]
    r0, c0 = np.divmod(cells, w)
    r1, c1 = np.divmod(rec[cells], w)
    x0 = ORIGIN_X + (c0 + 0.5) * hr
    y0 = ORIGIN_Y + PITCH_Y - (r0 + 0.5) * hr
    x1 = ORIGIN_X + (c1 + 0.5) * hr
    y1 = ORIGIN_Y + PITCH_Y - (r1 + 0.5) * hr
    segs = shapely.linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1))
    merged = shapely.line_merge(shapely.union_all(segs))
    parts = shapely.get_parts(merged)
    parts = parts[shapely.length(parts) >= 3 * hr]
    return shapely.simplify(parts, hr / 4)


def _level(d, l_ref, d_ref, k, atten):
    d = np.maximum(d, d_ref / 2)
    return l_ref - k * np.log10(d / d_ref) - atten * d


def make_noise(res: float, road_line, rail_lines, industry) -> tuple[np.ndarray, np.ndarray]:
    """L_DEN and L_Night (dB(A), float32) from the main road, the railway and the industrial estate.

    Sources are world geometries of tile 0; levels decay with distance and add energetically.
    """
    X, Y = TileGrid(res).centres()
    pts = shapely.points(X.ravel(), Y.ravel())
    d_road = shapely.distance(pts, road_line).reshape(X.shape)
    d_rail = shapely.distance(pts, rail_lines).reshape(X.shape)
    d_ind = shapely.distance(pts, industry).reshape(X.shape)
    road = _level(d_road, 75.0, 7.5, 14.5, 0.012)
    rail = _level(d_rail, 80.0, 10.0, 15.0, 0.02)
    ind = 66.0 - 12.0 * np.log10(d_ind / 10.0 + 1.0)

    def esum(*levels):
        return 10 * np.log10(sum(10 ** (lv / 10) for lv in levels))

    lden = esum(road, rail, ind, np.full(X.shape, 40.0))
    lnight = esum(road - 10.0, rail - 6.0, ind - 15.0, np.full(X.shape, 30.0))
    return lden.astype(np.float32), lnight.astype(np.float32)
