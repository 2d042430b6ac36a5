"""Tree criterion: hand-computed counts, crown shares and statute thresholds."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from .districts import CRS, X0, Y0, make_layers
from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.baeume import TreeParams, protected_mask

NAN = float("nan")


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def trees(rows):
    """rows: (x, y, art, umfang_cm, krone_m) in local metres."""
    return gpd.GeoDataFrame({"art": [r[2] for r in rows], "umfang_cm": [float(r[3]) for r in rows],
                             "krone_m": [float(r[4]) for r in rows]},
                            geometry=[shapely.Point(X0 + r[0], Y0 + r[1]) for r in rows], crs=CRS)


def run(area_geoms, tree_rows, **params):
    areas = gpd.GeoDataFrame({"quelle": "abgeleitet"}, geometry=list(area_geoms), crs=CRS,
                             index=[f"A{i}" for i in range(len(area_geoms))])
    layers = make_layers([box(-50, -50, 200, 100)], [], [box(-50, -60, 200, -50)],
                         **({} if tree_rows is None else {"trees": trees(tree_rows)}))
    before = areas.copy()
    out = REGISTRY["baeume"](areas, layers, TreeParams(**params))
    assert areas.equals(before)
    assert out.index.equals(areas.index)
    return out


ROWS = [
    (5, 5, "Stieleiche", 70, 4),            # protected (>= 60 cm), crown r = 2
    (15, 5, "Feldahorn", 45, NAN),          # listed species, protected (>= 40 cm), default crown r = 2.5
    (5, 15, "Birke", 50, 2),                # not protected, r = 1
    (15, 15, "Eibe", NAN, NAN),             # no circumference: counted, not protected, r = 2.5
    (22, 10, "Winterlinde", 55, 6),         # outside, crown r = 3 reaches 1 m into the area
    (105, 5, "Hasel", 30, 10),              # area 2: crown r = 5 covers 78.5 of 100 m²
]


def test_counts_crown_share_and_class():
    out = run([box(0, 0, 20, 20), box(100, 0, 110, 10), box(150, 0, 170, 20)], ROWS)
    a = out.loc["A0"]
    assert a["baeume_anzahl"] == 4
    assert a["baeume_geschuetzt_anzahl"] == 2
    assert a["baeume_ohne_umfang_anzahl"] == 1
    # discs inside: pi (4 + 6.25 + 1 + 6.25); circular segment of the outside tree (r 3, d 2)
    segment = 9 * math.acos(2 / 3) - 2 * math.sqrt(5)
    expected = 100 * (17.5 * math.pi + segment) / 400
    assert a["baeume_kronenanteil_pct"] == pytest.approx(expected, abs=0.1)
    assert a["baeume_klasse"] == "bedingt geeignet"
    assert "2 geschützte Bäume" in a["baeume_grund"]
    assert "Feldahorn" in a["baeume_grund"] and "Stieleiche" in a["baeume_grund"]
    assert "1 ohne Stammumfang" in a["baeume_grund"]
    b = out.loc["A1"]
    assert b["baeume_kronenanteil_pct"] == pytest.approx(78.5, abs=0.2)
    assert b["baeume_klasse"] == "nicht geeignet"
    assert b["baeume_geschuetzt_anzahl"] == 0
    c = out.loc["A2"]
    assert (c["baeume_anzahl"], c["baeume_kronenanteil_pct"], c["baeume_klasse"]) == (0, 0.0, "geeignet")


def test_overlapping_crowns_count_once():
    # two trees 2 m apart, r = 2 each: union = 2 * 4 pi - lens; lens = 2 r² acos(d/2r) - d/2 sqrt(4r² - d²)
    out = run([box(0, 0, 20, 20)], [(9, 10, "Birke", 20, 4), (11, 10, "Birke", 20, 4)])
    lens = 2 * 4 * math.acos(2 / 4) - 1 * math.sqrt(16 - 4)
    expected = 100 * (8 * math.pi - lens) / 400
    assert out["baeume_kronenanteil_pct"].iloc[0] == pytest.approx(expected, abs=0.1)


def test_old_tree_raises_species_flag():
    out = run([box(0, 0, 30, 30)], [(10, 10, "Stieleiche", 300, 8)])
    r = out.iloc[0]
    assert r["baeume_altbaum_anzahl"] == 1 and bool(r["baeume_artenschutz_pruefen"])
    assert "§ 44 BNatSchG prüfen" in r["baeume_grund"]
    assert r["baeume_klasse"] == "bedingt geeignet"


@pytest.mark.parametrize("art, umfang, protected", [
    ("Acer campestre", 41, True), ("eibe", 40, True), ("Tulpenbaum (Liriodendron)", 39, False),
    ("Weißbuche", 45, False), ("Weißdorn", 45, True), ("Maßholder", 40, True), ("Stieleiche", 60, True),
    ("Stieleiche", 59.9, False), (None, 65, True),
])
def test_statute_thresholds(art, umfang, protected):
    t = trees([(0, 0, art, umfang, 3)])
    assert protected_mask(t, TreeParams()).tolist() == [protected]


def test_group_rule_and_house_garden_switch():
    rows = [(5, 5, "Birke", 35, 3), (8, 5, "Birke", 35, 3), (11, 5, "Birke", 35, 3), (40, 40, "Birke", 35, 3)]
    t = trees(rows)
    assert protected_mask(t, TreeParams()).tolist() == [False] * 4
    assert protected_mask(t, TreeParams(gruppenregel=True)).tolist() == [True, True, True, False]
    out = run([box(0, 0, 20, 20)], [(5, 5, "Stieleiche", 100, 3)], hausgarten_ausnahme=True)
    assert out["baeume_klasse"].iloc[0] == "geeignet"
    assert "Hausgärten" in out["baeume_grund"].iloc[0]


def test_missing_layer_is_not_rated():
    out = run([box(0, 0, 20, 20)], None)
    assert out["baeume_klasse"].tolist() == ["nicht bewertet"]
    assert "Baumkataster" in out["baeume_grund"].iloc[0]


def test_empty_layer_rates_geeignet():
    out = run([box(0, 0, 20, 20)], [])
    assert out["baeume_klasse"].tolist() == ["geeignet"]
    assert np.isclose(out["baeume_kronenanteil_pct"].iloc[0], 0.0)


def check_planted(name: str, sample_config, sample_assessment, *, on: str) -> None:
    """The planted case of criterion ``name`` gets its expected class.

    ``on="geometry"``: the planted geometry itself, rated with the sample's layers (independent of
    the candidate derivation). ``on="area"``: the derived area matching it (IoU ≥ 0.5); skipped when
    the candidate derivation produced no such area (test_ground_truth reports that).
    """
    import json

    import pandas as pd

    truth = json.loads((sample_config.parent / "ground_truth.json").read_text(encoding="utf-8"))
    cases = [c for c in truth["planted"] if name in c["expected"]]
    assert cases, f"no planted case for {name}"
    planted = gpd.GeoDataFrame({"case": [c["case"] for c in cases]},
                               geometry=shapely.from_wkt([c["wkt"] for c in cases]), crs=CRS).set_index("case")
    if on == "geometry":
        res = REGISTRY[name](planted, sample_assessment.layers)
        got = pd.Series(res[f"{name}_klasse"].to_numpy(), index=planted.index).to_dict()
        assert got == {c["case"]: c["expected"][name] for c in cases}, res[f"{name}_grund"].tolist()
        return
    areas = sample_assessment.areas
    g = np.asarray(areas.geometry.array, dtype=object)
    unmatched = []
    for c, p in zip(cases, planted.geometry):
        inter = shapely.area(shapely.intersection(g, p))
        iou = inter / (shapely.area(g) + p.area - inter)
        k = int(np.argmax(iou))
        if iou[k] < 0.5:
            unmatched.append(f"{c['case']} (IoU {iou[k]:.2f})")
            continue
        row = areas.iloc[k]
        assert row[f"{name}_klasse"] == c["expected"][name], row[f"{name}_grund"]
    if unmatched:
        pytest.skip("no derived area matches the planted case (candidate derivation, see test_ground_truth): "
                    + ", ".join(unmatched))


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_case_in_sample(on, sample_config, sample_assessment):
    check_planted("baeume", sample_config, sample_assessment, on=on)
