"""Counterfactuals ("Was müsste sich ändern?"): hand-worked areas; every proposed change, applied, lifts the class."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT, RANK
from nachverdichtung.criteria.baeume import TreeParams
from nachverdichtung.criteria.naturschutz import NatureParams
from nachverdichtung.criteria.topographie import TopographyParams
from nachverdichtung.levers import MACHBAR, NICHT_MACHBAR, criterion_levers, lever_columns

from .districts import CRS, X0, Y0, make_layers
from .test_erschliessung import gap_case, run as run_access


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def apply_changes(name, frame, row, changes, params):
    """The class of one area after setting its measures to ``changes`` (re-rated with the criterion's rule)."""
    m = REGISTRY[name].measures(frame.iloc[[row]]).copy()
    for col, value in changes.items():
        m[col] = m[col].astype(float)
        m.iloc[0, m.columns.get_loc(col)] = value
    return REGISTRY[name].classify(m, params)[0]


def test_access_width_lever_and_the_wider_corridor():
    """A 2 m gap between two houses: bedingt; the lever asks for 3,00 m; a 3 m gap really is geeignet."""
    parcels, houses, area = gap_case(2.0)
    frame = run_access(parcels, houses, [area])
    lev = criterion_levers(frame, "erschliessung", REGISTRY["erschliessung"].params_type()).frame.iloc[0]
    assert (lev["von"], lev["nach"], lev["machbar"]) == (BEDINGT, GEEIGNET, MACHBAR)
    assert lev["aenderung"] == {"breite_m": 3.0}
    assert lev["satz"].startswith("bedingt geeignet → geeignet, wenn die Zufahrt 3,00 m statt 2,00 m breit ist")
    assert "Baulast" in lev["satz"]
    params = REGISTRY["erschliessung"].params_type()
    assert apply_changes("erschliessung", frame, 0, lev["aenderung"], params) == GEEIGNET
    parcels, houses, area = gap_case(3.0)  # the change carried out on the ground
    assert run_access(parcels, houses, [area]).iloc[0]["erschliessung_klasse"] == GEEIGNET


def test_access_nicht_to_bedingt():
    parcels, houses, area = gap_case(1.0)  # 1 m: no access of 1,25 m
    frame = run_access(parcels, houses, [area])
    lev = criterion_levers(frame, "erschliessung", REGISTRY["erschliessung"].params_type()).frame.iloc[0]
    assert (lev["von"], lev["nach"]) == (NICHT, BEDINGT)
    assert lev["aenderung"] == {"breite_m": 1.25}
    parcels, houses, area = gap_case(1.25)
    assert run_access(parcels, houses, [area]).iloc[0]["erschliessung_klasse"] == BEDINGT


def _trees(rows):
    return gpd.GeoDataFrame({"art": [r[2] for r in rows], "umfang_cm": [float(r[3]) for r in rows],
                             "krone_m": [float(r[4]) for r in rows]},
                            geometry=[shapely.Point(X0 + r[0], Y0 + r[1]) for r in rows], crs=CRS)


def _run_trees(rows, params=TreeParams()):
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 20), box(100, 0, 110, 10)], crs=CRS, index=["A0", "A1"])
    layers = make_layers([box(-50, -50, 200, 100)], [], [box(-50, -60, 200, -50)], trees=_trees(rows))
    return REGISTRY["baeume"](areas, layers, params)


TREES = [(5, 5, "Stieleiche", 70, 4), (15, 5, "Feldahorn", 45, 2), (5, 15, "Birke", 50, 2),  # A0: 2 protected
         (105, 5, "Hasel", 30, 10)]  # A1: crown r = 5 covers 78,5 % of 100 m², not protected


def test_tree_levers_felling_and_crown():
    frame = _run_trees(TREES)
    assert list(frame["baeume_klasse"]) == [BEDINGT, NICHT]
    lev = criterion_levers(frame, "baeume", TreeParams()).frame
    a0, a1 = lev.iloc[0], lev.iloc[1]
    assert a0["aenderung"] == {"geschuetzt_anzahl": 0.0} and a0["machbar"] == MACHBAR
    assert "Fällung der geschützten Bäume genehmigt wird (Anzahl: 2)" in a0["satz"]
    assert a1["aenderung"] == {"kronenanteil_pct": pytest.approx(49.9)}
    # crown: a 64-gon of radius 5 m (quad_segs=16) covers 0.5 · 64 · 25 · sin(2π/64) = 78.41 m² = 78,4 %;
    # with "≥ threshold → nicht geeignet" it passes at a threshold of 78,5 %
    share = round(0.5 * 64 * 25 * np.sin(2 * np.pi / 64), 1)
    assert frame.iloc[1]["baeume_kronenanteil_pct"] == share == 78.4
    assert a1["schwelle"] == {"kronenanteil_nicht_ab_pct": pytest.approx(78.5)}
    for row in (0, 1):
        assert apply_changes("baeume", frame, row, lev.iloc[row]["aenderung"], TreeParams()) == lev.iloc[row]["nach"]
    # carried out: the two protected trees felled → geeignet
    assert _run_trees(TREES[2:]).iloc[0]["baeume_klasse"] == GEEIGNET
    # the council's alternative: the crown threshold raised to the named value → A1 no longer nicht geeignet
    assert _run_trees(TREES, TreeParams(kronenanteil_nicht_ab_pct=78.5)).iloc[1]["baeume_klasse"] == GEEIGNET


def _run_nature():
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 20), box(200, 0, 220, 20)], crs=CRS, index=["A0", "A1"])
    prot = gpd.GeoDataFrame({"kategorie": ["NSG", "LSG"], "name": ["Bruchwald", "Pfälzerwald"]},
                            geometry=[box(15, 0, 30, 20), box(150, -50, 250, 50)], crs=CRS)
    layers = make_layers([box(-50, -50, 700, 60)], [], [box(-50, -60, 700, -50)], protected_areas=prot)
    return REGISTRY["naturschutz"](areas, layers, NatureParams())


def test_nature_reserve_offers_no_lever_but_the_lsg_does():
    frame = _run_nature()
    assert list(frame["naturschutz_klasse"]) == [NICHT, BEDINGT]
    lev = criterion_levers(frame, "naturschutz", NatureParams()).frame
    nsg, lsg = lev.iloc[0], lev.iloc[1]
    assert nsg["machbar"] == NICHT_MACHBAR and nsg["aenderung"] == {} and nsg["nach"] == ""
    assert nsg["satz"].startswith("kein Hebel:")
    assert lsg["machbar"] == MACHBAR and lsg["aenderung"] == {"vorpruefung_m2": 0.0}
    assert apply_changes("naturschutz", frame, 1, lsg["aenderung"], NatureParams()) == GEEIGNET


def test_slope_cannot_change_but_its_threshold_can():
    """Measures given directly: 14,2 % bedingt, 25 % nicht, 5 % geeignet (thresholds 10 / 20 %)."""
    m = pd.DataFrame({"neigung_mittel_pct": [14.2, 25.0, 5.0], "neigung_p90_pct": np.nan,
                      "abdeckung_pct": 100.0}, index=list("abc"))
    p = TopographyParams()
    frame = m.add_prefix("topographie_")
    frame["topographie_klasse"] = REGISTRY["topographie"].classify(m, p)
    assert list(frame["topographie_klasse"]) == [BEDINGT, NICHT, GEEIGNET]
    lev = criterion_levers(frame, "topographie", p).frame
    assert list(lev["machbar"]) == [NICHT_MACHBAR, NICHT_MACHBAR, ""]
    assert lev["aenderung"].tolist() == [{}, {}, {}]  # nothing proposed to the owner
    assert lev.iloc[0]["schwelle"] == {"bedingt_ab_pct": pytest.approx(14.2)}
    assert lev.iloc[1]["schwelle"] == {"nicht_geeignet_ab_pct": pytest.approx(25.0)}
    for row, want in ((0, GEEIGNET), (1, BEDINGT)):
        q = dataclasses.replace(p, **lev.iloc[row]["schwelle"])
        assert REGISTRY["topographie"].classify(m.iloc[[row]], q)[0] == want


def test_every_lever_on_the_sample_lifts_its_class(sample_assessment):
    """On the sample: every proposed change (measure or threshold), applied and re-rated, lifts the class."""
    a = sample_assessment
    checked = 0
    for name, params in a.config.criteria.items():
        crit = REGISTRY[name]
        lev = criterion_levers(a.areas, name, params).frame
        for row in np.flatnonzero(lev["machbar"].to_numpy() == MACHBAR):
            r = lev.iloc[row]
            new = apply_changes(name, a.areas, row, r["aenderung"], params)
            assert new == r["nach"] and RANK[new] < RANK[r["von"]], (name, a.areas.index[row], r["satz"])
            checked += 1
        for row in np.flatnonzero(lev["schwelle"].map(bool).to_numpy()):
            r = lev.iloc[row]
            q = dataclasses.replace(params, **r["schwelle"])
            new = crit.classify(crit.measures(a.areas.iloc[[row]]), q)[0]
            assert RANK[new] < RANK[r["von"]], (name, a.areas.index[row], r["satz"])
        # a rule without hebel (slope, climate, noise, nature reserve) never gets a change proposed
        fixed = lev["machbar"].to_numpy() == NICHT_MACHBAR
        assert all(d == {} for d in lev["aenderung"][fixed])
    assert checked > 50
    cols = lever_columns(a.areas, dict(a.config.criteria))
    assert (cols["hebel"] == a.areas["hebel"]).all()
    assert set(cols["hebel_machbar"][a.areas["klasse"] == GEEIGNET]) <= {""}
