"""§ 34 precedent (Vorbild) on a hand-made district of two street blocks.

Block A: six 20 × 80 m parcels north of "Straße 1" (street edge y = 0) with front houses 5–17 m
deep, plus one main building in the second row on parcel 3 (x 45–55, y 40–50). The rear building
line is the 75 % quantile of the rear depths (six × 17 m, one × 50 m) = 17 m, so the rear house
(50 m > 17 + 3 m) is a precedent. Block B: the same row 200 m further north on "Straße 2",
without a rear house.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from nachverdichtung.candidates import CandidateParams, derive_candidates
from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, UNBEWERTET

from .districts import X0, Y0, make_layers, street_row
from .test_erschliessung import check_planted

crit = REGISTRY["vorbild"]


@pytest.fixture(scope="module")
def district():
    pa, ha, ra = street_row(6, depth=80.0)
    rear = shapely.box(X0 + 45, Y0 + 40, X0 + 55, Y0 + 50)
    pb = [shapely.affinity.translate(p, 0, 200) for p in pa]
    hb = [shapely.affinity.translate(h, 0, 200) for h in ha]
    rb = [shapely.affinity.translate(r, 0, 200) for r in ra]
    layers = make_layers(pa + pb, ha + [rear] + hb, ra + rb)
    areas = derive_candidates(layers, CandidateParams(merge_block_interiors=False)).areas  # one area per parcel
    return layers, areas


def test_precedent_in_block_and_nearest_distance(district):
    layers, areas = district
    res = crit(areas, layers)
    in_a = areas["strasse"] == "Straße 1"
    # parcel 3's backland is cut in two by the rear house: 7 areas in block A
    assert in_a.sum() == 7 and (~in_a).sum() == 6
    assert (res.loc[in_a, "vorbild_klasse"] == GEEIGNET).all()
    assert (res.loc[in_a, "vorbild_hinterhaeuser_anzahl"] == 1).all()
    assert (res.loc[~in_a, "vorbild_klasse"] == BEDINGT).all()
    assert (res.loc[~in_a, "vorbild_grund"] == "kein Vorbild in zweiter Reihe").all()
    assert res.loc[~in_a, "vorbild_abstand_m"].isna().all()
    # parcel 1's backland x 0–20 → rear house at x 45: 25 m; parcel 2's (x 20–40): 5 m
    first = areas.index[in_a & (areas["haupt_flurstueck"].str[9:14] == "00001")][0]
    second = areas.index[in_a & (areas["haupt_flurstueck"].str[9:14] == "00002")][0]
    assert res.loc[first, "vorbild_abstand_m"] == pytest.approx(25.0)
    assert res.loc[second, "vorbild_abstand_m"] == pytest.approx(5.0)
    assert res.loc[first, "vorbild_grund"] == ("Vorbild: 1 Hauptgebäude in zweiter Reihe im Block, "
                                               "nächstes 25 m entfernt")


def test_minimum_number_of_precedents(district):
    layers, areas = district
    from nachverdichtung.criteria.vorbild import PrecedentParams

    res = crit(areas, layers, PrecedentParams(min_hinterhaeuser=2))
    in_a = areas["strasse"] == "Straße 1"
    assert (res.loc[in_a, "vorbild_klasse"] == BEDINGT).all()
    assert (res.loc[in_a, "vorbild_grund"] == "nur 1 Hauptgebäude in zweiter Reihe im Block (verlangt: 2)").all()


def test_area_without_block_is_not_rated(district):
    layers, areas = district
    a = areas.copy()
    a.iloc[0, a.columns.get_loc("block_id")] = -1
    res = crit(a, layers)
    assert res["vorbild_klasse"].iloc[0] == UNBEWERTET
    assert "keinem Straßenblock" in res["vorbild_grund"].iloc[0]
    assert (res["vorbild_klasse"].iloc[1:] != UNBEWERTET).all()
    # no block columns at all (e.g. planner areas prepared elsewhere)
    res = crit(areas.drop(columns=["block_id", "block_hinterhaeuser"]), layers)
    assert (res["vorbild_klasse"] == UNBEWERTET).all()


def test_planner_area_in_front_zone_needs_no_precedent(district):
    layers, areas = district
    a = areas[areas["strasse"] == "Straße 2"].copy()
    # an area 0–15 m from the street: within the building depth (17 + 3 m)
    a.geometry = [shapely.box(X0 + 1, Y0 + 200, X0 + 19, Y0 + 215)] + list(a.geometry.iloc[1:])
    res = crit(a, layers)
    assert res["vorbild_klasse"].iloc[0] == GEEIGNET
    assert res["vorbild_tiefe_m"].iloc[0] == pytest.approx(15.0)
    assert "innerhalb der Bebauungstiefe" in res["vorbild_grund"].iloc[0]
    assert (res["vorbild_klasse"].iloc[1:] == BEDINGT).all()


def test_rear_depth_and_line_are_reported(district):
    layers, areas = district
    res = crit(areas, layers)
    np.testing.assert_allclose(res["vorbild_baulinie_m"], 17.0)
    # derived backland reaches the rear parcel boundary, 80 m from the street, except the piece of
    # parcel 3 in front of the rear house (y 20 … 37 m; the exact edge depends on how the candidate
    # stage rounds the 3 m setback around the house at y = 40)
    cut = (areas["haupt_flurstueck"].str[9:14] == "00003") & (res["vorbild_tiefe_m"] < 80)
    assert cut.sum() == 1
    assert 37.0 <= res.loc[cut, "vorbild_tiefe_m"].iloc[0] < 40.0
    np.testing.assert_allclose(res.loc[~cut, "vorbild_tiefe_m"], 80.0)


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_cases_in_sample(on, sample_config, sample_assessment):
    """Precedent is a property of the street block, so the area overlapping the case most will do."""
    check_planted("vorbild", sample_config, sample_assessment, on=on, max_overlap=True)


def test_stage_outputs_are_used_not_recomputed(district, monkeypatch):
    """With the candidate stage's result, vorbild derives neither streets, blocks nor building depths."""
    from nachverdichtung.criteria import vorbild

    layers, _ = district
    cand = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
    expected = crit(cand.areas, layers)

    def must_not_run(*args, **kwargs):
        raise AssertionError("recomputed although the candidate stage built it")

    for name in ("build_streets", "street_blocks", "street_depths"):
        monkeypatch.setattr(vorbild, name, must_not_run)
    got = crit(cand.areas, layers, stages=cand)
    assert (expected["vorbild_klasse"] == GEEIGNET).sum() >= 7  # the precedent is found
    assert got.astype(str).equals(expected.astype(str))


def test_precedent_on_a_street_without_areas_is_found():
    """A rear house on a side street where no area lies still is the block's nearest precedent.

    Row A (Straße 1, y 0–80, x 0–120) has no rear house. East of it "Querweg" (x 140–150, ending at
    y 65, so one street block holds both rows) with three parcels (x 150–230) on land that carries no
    backland, three front houses 5–17 m behind Querweg and one main building 40–50 m behind it
    (x 190–200, y 50–60): Querweg's line is the 75 % quantile of 17, 17, 17, 50 = 25.25 m, so that
    building is a rear house. It stands 50 m from Straße 1 and 40 m from Querweg, so it belongs to
    Querweg. Row A's merged
    backland (x 0–120) lies 70 m from it. Before, the line of a street was only known from the
    areas on it, so this precedent was counted in the block but never found (distance NaN).
    """
    pa, ha, ra = street_row(6, depth=80.0)
    side = shapely.box(X0 + 140, Y0 - 10, X0 + 150, Y0 + 65)
    pc = [shapely.box(X0 + 150, Y0 + 30 * k, X0 + 230, Y0 + 30 * (k + 1)) for k in range(3)]
    hc = [shapely.box(X0 + 155, Y0 + 15 * k + 10, X0 + 167, Y0 + 15 * k + 20) for k in range(3)]
    rear = shapely.box(X0 + 190, Y0 + 50, X0 + 200, Y0 + 60)
    layers = make_layers(pa + pc, ha + hc + [rear], ra + [side], landuse=[shapely.union_all(pa).buffer(0.5)],
                         road_names=["Straße 1", "Querweg"])
    cand = derive_candidates(layers)
    assert set(cand.areas["strasse"]) == {"Straße 1"}
    assert cand.streets.set_index("name").loc["Querweg", "baulinie_m"] == pytest.approx(25.25)
    res = crit(cand.areas, layers, stages=cand)
    assert res["vorbild_hinterhaeuser_anzahl"].tolist() == [1]
    assert res["vorbild_abstand_m"].tolist() == [pytest.approx(70.0)]
