"""Plot geometry and building fit (Flächenzuschnitt), worked out by hand.

Defaults: footprint 10 × 12 m (small one 8 × 10 m), 3 m setback to the parcel boundary, 6 m
(2 × 3 m) between two new footprints; a footprint that fits exactly still fits (1 cm tolerance).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT
from nachverdichtung.criteria.zuschnitt import PlotParams

from .districts import CRS, X0, Y0, kennz, make_layers

crit = REGISTRY["zuschnitt"]


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def rate(areas, parcel=None, params=None):
    parcel = parcel if parcel is not None else box(0, 0, 60, 60)
    layers = make_layers([parcel], [], [box(-10, -10, 70, 0)])
    cand = gpd.GeoDataFrame({"flurstuecke": [kennz(1)] * len(areas)}, geometry=list(areas), crs=CRS,
                            index=[f"f{i}" for i in range(len(areas))])
    return crit(cand, layers, params)


def test_26_by_18_inside_the_parcel_holds_two():
    """26 m = 10 + 6 + 10: two footprints side by side (10 m along x); 18 m holds one row of 12 m.

    Turned (12 m along x): 12 + 6 + 12 = 30 > 26 and 10 + 6 + 10 = 26 > 18, so only one. Best: 2.
    """
    r = rate([box(7, 11, 33, 29)]).iloc[0]
    assert r["zuschnitt_bauplaetze_anzahl"] == 2
    assert r["zuschnitt_klasse"] == GEEIGNET
    assert r["zuschnitt_grund"] == "2 Baukörper 10 × 12 m passen mit 3 m Abstand"
    assert r["zuschnitt_flaeche_m2"] == pytest.approx(468.0)
    assert r["zuschnitt_breite_m"] == pytest.approx(18.0, abs=0.2)  # largest inscribed circle
    assert r["zuschnitt_kompaktheit"] == pytest.approx(4 * np.pi * 468 / 88 ** 2, abs=1e-3)
    # 2 × 120 m² × 2 storeys / 90 m² per dwelling = 5.3 → 5
    assert r["zuschnitt_wohneinheiten_schaetzung"] == 5


def test_setback_to_the_parcel_boundary_counts():
    """The same 26 × 18 area on the parcel's west edge keeps only 23 m after the 3 m setback: one."""
    r = rate([box(0, 11, 26, 29)]).iloc[0]
    assert r["zuschnitt_bauplaetze_anzahl"] == 1
    assert r["zuschnitt_klasse"] == GEEIGNET


def test_wider_gap_param_drops_the_second():
    """With a 4 m setback two footprints need 10 + 8 + 10 = 28 m > 26 m."""
    r = rate([box(7, 11, 33, 29)], params=PlotParams(setback_m=4.0)).iloc[0]
    assert r["zuschnitt_bauplaetze_anzahl"] == 1


@pytest.mark.parametrize("width, klasse, n_full, n_small", [
    # 10 × 25 inside: one 10 × 12 (12 + 6 + 12 = 30 > 25); small ones turned (10 across, 8 along):
    # 8 + 6 + 8 = 22 ≤ 25 → two
    (10.0, GEEIGNET, 1, 2),
    (9.0, BEDINGT, 0, 1),     # 9 m: only 8 across, 10 + 6 + 10 = 26 > 25 along → one small one
    (7.9, NICHT, 0, 0),       # not even 8 m
    (12.0, GEEIGNET, 1, 2),   # 12 across: 10 × 12 either way is one (10 + 6 + 10 = 26 > 25)
])
def test_narrow_strip(width, klasse, n_full, n_small):
    r = rate([box(20, 10, 20 + width, 35)]).iloc[0]
    assert r["zuschnitt_klasse"] == klasse
    assert r["zuschnitt_bauplaetze_anzahl"] == n_full
    assert r["zuschnitt_kleine_bauplaetze_anzahl"] == n_small


def test_reasons_for_small_and_none():
    res = rate([box(20, 10, 29, 40), box(20, 10, 27.9, 40)])
    assert res["zuschnitt_grund"].tolist() == [
        "nur ein kleiner Baukörper 8 × 10 m passt, keiner mit 10 × 12 m",
        "kein Baukörper 8 × 10 m passt mit 3 m Abstand",
    ]


def test_l_shape():
    """Two 12 m wide arms of 42 m: x 5–47 × y 5–17 and x 5–17 × y 5–47.

    Long arm: 3 footprints (10 + 6 + 10 + 6 + 10 = 42) in its 12 m depth. Short arm: the corner is
    taken, the next footprint starts at y = 5 + 12 + 6 = 23 and ends at 35; another would end at
    53 > 47. Turned footprints (12 × 10) in the arm give the same. Total 4.
    """
    area = box(5, 5, 47, 17).union(box(5, 5, 17, 47))
    r = rate([area]).iloc[0]
    assert r["zuschnitt_bauplaetze_anzahl"] == 4
    assert r["zuschnitt_flaeche_m2"] == pytest.approx(42 * 12 * 2 - 144)


@pytest.mark.parametrize("angle", [5.0, 30.0, 60.0])
def test_rotated_area_fits_like_the_axis_parallel_one(angle):
    """The 41 × 31 area holds 4 (10 + 6 + 10 ≤ 41, 12 + 6 + 12 ≤ 31) at any rotation (own-frame fit)."""
    area = shapely.affinity.rotate(box(7, 11, 48, 42), angle, origin="centroid")
    r = rate([area], parcel=box(-40, -40, 100, 100)).iloc[0]
    assert r["zuschnitt_bauplaetze_anzahl"] == 4


def test_several_areas_at_once():
    res = rate([box(7, 11, 33, 29), box(20, 10, 29, 40), box(5, 5, 47, 17).union(box(5, 5, 17, 47))])
    assert res["zuschnitt_bauplaetze_anzahl"].tolist() == [2, 0, 4]
    assert res["zuschnitt_klasse"].tolist() == [GEEIGNET, BEDINGT, GEEIGNET]
