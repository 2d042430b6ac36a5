"""Terrain operators on raster windows (numpy, no per-pixel Python)."""

from __future__ import annotations

import numpy as np

__all__ = ["horn_slope_pct"]


def horn_slope_pct(z: np.ndarray, res: tuple[float, float]) -> np.ndarray:
    """Slope in percent by Horn's method (3 × 3 weighted differences), as ``gdaldem slope`` computes it.

    Edge pixels and pixels with a missing neighbour are NaN (like gdaldem without ``-compute_edges``).

    Parameters
    ----------
    z
        Elevations, NaN where missing; row 0 is north.
    res
        Pixel size ``(xres, yres)`` in the units of ``z``.

    Examples
    --------
    >>> x = np.arange(5.0)
    >>> z = np.tile(x * 0.1, (5, 1))          # rises 0.1 m per 1 m pixel eastwards
    >>> round(float(horn_slope_pct(z, (1.0, 1.0))[2, 2]), 9)
    10.0
    """
    xres, yres = res
    out = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * xres)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * yres)
    out[1:-1, 1:-1] = 100.0 * np.hypot(dzdx, dzdy)
    return out
