"""Terrain of the sample district: an analytic 1 m DEM (DGM1) in the local tile frame.

The surface rises gently to the north (about 3 %), has a forested hill with a steep (> 30 %)
hillside, a dry valley (the thalweg of the heavy-rain flow path) and small undulations. Planted
features: a steep backyard ramp (about 30 %), a flat-bottomed hollow in the flow-path backyard and a
sink in the sports ground.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def smoothstep(t):
    """Cubic smoothstep of ``t`` clipped to [0, 1]."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def window(x, a, b, taper):
    """1 inside ``[a, b]``, falling smoothly to 0 over ``taper`` metres outside."""
    return smoothstep((x - a + taper) / taper) * smoothstep((b + taper - x) / taper)


@dataclass(frozen=True)
class TerrainPlan:
    """Local positions of the terrain features (metres, local tile frame)."""

    steep: tuple[float, float, float, float]  # u0, u1, v0, v1 of the ramp (rising to the north)
    basin: tuple[float, float, float, float]  # u0, u1, v0, v1 of the flooded hollow
    thalweg: tuple[tuple[float, float], ...]  # (v, u) points of the valley line, v ascending
    sink: tuple[float, float] = (820.0, 600.0)


def _base(u, v, plan: TerrainPlan):
    tv = np.array([p[0] for p in plan.thalweg])
    tu = np.array([p[1] for p in plan.thalweg])
    ut = np.interp(v, tv, tu)
    h = 236.0 + 0.028 * v
    h = h + 22.0 * np.exp(-((u - 350.0) ** 2 + (v - 1450.0) ** 2) / (2 * 380.0**2))
    h = h + 40.0 / (1.0 + np.exp(-(v - 1380.0) / 55.0))
    h = h + 28.0 / (1.0 + np.exp(-(v - 1470.0) / 22.0)) * window(u, 420.0, 900.0, 60.0)
    h = h - 7.0 * np.exp(-(((u - ut) / 55.0) ** 2))
    h = h + 1.2 * np.sin(u / 140.0 + 0.3) * np.cos(v / 190.0) + 0.6 * np.sin(u / 61.0) * np.sin(v / 77.0)
    su0, su1, sv0, sv1 = plan.steep
    # A terrace edge: the ramp rises over the backyard, runs level for 30 m and fades out again.
    ramp = smoothstep((v - sv0) / (sv1 - sv0)) * (1.0 - smoothstep((v - sv1 - 30.0) / 80.0))
    h = h + 16.0 * ramp * window(u, su0 - 2.0, su1 + 2.0, 25.0)
    cu, cv = plan.sink
    h = h - 1.5 * np.exp(-((u - cu) ** 2 + (v - cv) ** 2) / (2 * 18.0**2))
    return h


def elevation(u: np.ndarray, v: np.ndarray, plan: TerrainPlan) -> np.ndarray:
    """Terrain height (m above sea level) at local coordinates.

    Examples
    --------
    >>> plan = TerrainPlan((500, 520, 1190, 1230), (1300, 1320, 700, 740), ((0, 1380), (1600, 1380)))
    >>> float(elevation(np.array([100.0]), np.array([100.0]), plan)[0]) > 230
    True
    """
    u = np.asarray(u, float)
    v = np.asarray(v, float)
    h = _base(u, v, plan)
    bu0, bu1, bv0, bv1 = plan.basin
    # Flat-bottomed hollow: 1.1 m below the terrain at its downstream (south) rim.
    rim = _base(np.array([(bu0 + bu1) / 2]), np.array([bv0 - 4.0]), plan)[0]
    m = window(u, bu0, bu1, 3.0) * window(v, bv0, bv1, 3.0)
    return h * (1 - m) + np.minimum(h, rim - 1.1) * m
