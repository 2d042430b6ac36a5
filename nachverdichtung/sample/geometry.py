"""Local construction frame of a sample tile and its map to EPSG:25832.

Everything in the sample district is first drawn as axis-parallel rectangles in a local frame
``(u, v)`` (metres, ``u`` east, ``v`` north, one tile = ``TILE_U`` x ``TILE_V``). A smooth, gentle
warp (bend plus a small rotation) then turns the straight grid into curved streets and irregular
blocks. The warp is the same for every tile; tiles differ only by a translation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

TILE_U = 2000.0
TILE_V = 1600.0
#: World size of one tile cell (pitch between repeated tiles), a multiple of every raster resolution.
PITCH_X = 2300.0
PITCH_Y = 2000.0
#: South-west corner of tile 0 in EPSG:25832 (Kaiserslautern, around E 410000 N 5478000).
ORIGIN_X = 408850.0
ORIGIN_Y = 5477000.0

_ROT = np.deg2rad(6.0)
_AMP_U = 45.0  # bend of the north-south lines (m)
_AMP_V = 35.0  # bend of the east-west lines (m)
_WAVE_U = 1700.0
_WAVE_V = 2100.0


@dataclass(frozen=True)
class Warp:
    """Map between the local tile frame and world coordinates of tile 0.

    Examples
    --------
    >>> w = Warp()
    >>> x, y = w.forward(np.array([1000.0]), np.array([800.0]))
    >>> u, v = w.inverse(x, y)
    >>> bool(abs(u[0] - 1000) < 1e-6 and abs(v[0] - 800) < 1e-6)
    True
    """

    cx: float = ORIGIN_X + PITCH_X / 2
    cy: float = ORIGIN_Y + PITCH_Y / 2

    def _bend(self, u, v):
        bu = u + _AMP_U * np.sin(2 * np.pi * v / _WAVE_U + 0.7)
        bv = v + _AMP_V * np.sin(2 * np.pi * u / _WAVE_V + 1.9)
        return bu, bv

    def forward(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local ``(u, v)`` to world ``(x, y)``."""
        bu, bv = self._bend(u, v)
        du, dv = bu - TILE_U / 2, bv - TILE_V / 2
        c, s = np.cos(_ROT), np.sin(_ROT)
        return self.cx + c * du - s * dv, self.cy + s * du + c * dv

    def inverse(self, x: np.ndarray, y: np.ndarray, iterations: int = 8) -> tuple[np.ndarray, np.ndarray]:
        """World ``(x, y)`` to local ``(u, v)`` by fixed-point iteration (the bend is a contraction)."""
        c, s = np.cos(_ROT), np.sin(_ROT)
        dx, dy = x - self.cx, y - self.cy
        bu = c * dx + s * dy + TILE_U / 2
        bv = -s * dx + c * dy + TILE_V / 2
        u, v = bu.copy(), bv.copy()
        for _ in range(iterations):
            u = bu - _AMP_U * np.sin(2 * np.pi * v / _WAVE_U + 0.7)
            v = bv - _AMP_V * np.sin(2 * np.pi * u / _WAVE_V + 1.9)
        return u, v

    def geoms(self, geoms: np.ndarray, max_segment: float = 10.0) -> np.ndarray:
        """Warp an array of local shapely geometries (densified first so straight edges bend)."""
        dense = shapely.segmentize(np.asarray(geoms, dtype=object), max_segment)

        def _f(xy):
            x, y = self.forward(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(dense, _f)


WARP = Warp()


def tile_offsets(n_tiles: int) -> tuple[np.ndarray, int, int]:
    """World offsets of ``n_tiles`` tiles laid out row by row in a near-square grid.

    Returns
    -------
    offsets : (n, 2) array of x/y translations, cols, rows
    """
    cols = int(np.ceil(np.sqrt(n_tiles)))
    rows = int(np.ceil(n_tiles / cols))
    idx = np.arange(n_tiles)
    off = np.column_stack([(idx % cols) * PITCH_X, (idx // cols) * PITCH_Y]).astype(float)
    return off, cols, rows


def translate(geoms: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Translate an array of geometries (vectorised)."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy + np.array([dx, dy]))


def frame_rect(origin, axis, normal, x0, x1, y0, y1) -> np.ndarray:
    """Rectangles ``[x0,x1] x [y0,y1]`` of a row frame as local polygons (vectorised).

    ``origin`` is the frame origin in local coordinates, ``axis`` the unit vector along the street,
    ``normal`` the unit vector into the block.
    """
    x0, x1, y0, y1 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (x0, x1, y0, y1))
    ox, oy = origin
    ax, ay = axis
    nx, ny = normal
    xs = np.stack([x0, x1, x1, x0, x0], axis=1)
    ys = np.stack([y0, y0, y1, y1, y0], axis=1)
    U = ox + xs * ax + ys * nx
    V = oy + xs * ay + ys * ny
    coords = np.stack([U, V], axis=2)
    # Keep counter-clockwise orientation regardless of frame handedness.
    polys = shapely.polygons(coords)
    return shapely.orient_polygons(polys) if hasattr(shapely, "orient_polygons") else polys
