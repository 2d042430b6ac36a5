"""Candidate derivation on hand-made districts whose backland can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from nachverdichtung.candidates import (CandidateParams, _share_pairs, _usable, derive_candidates, make_ids,
                                         street_depths, street_pieces)

from .districts import X0, Y0, make_layers, street_row


def test_rear_building_line_and_backland_by_hand():
    # houses 10 × 12 m, 5 m behind the street: rear facades at 17 m → front zone 17 + 3 = 20 m,
    # backland of each 20 × 60 m parcel is 20 × 40 = 800 m²
    layers = make_layers(*street_row(6))
    res = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
    assert res.streets["baulinie_m"].tolist() == [17.0]
    assert len(res.areas) == 6
    np.testing.assert_allclose(res.areas["flaeche_m2"], 800.0)
    first = res.areas.geometry.iloc[0]
    assert shapely.symmetric_difference(first, shapely.box(X0, Y0 + 20, X0 + 20, Y0 + 60)).area < 1e-6
    assert res.areas.index.tolist() == sorted(f"2566-1-{i}-a" for i in range(1, 7))
    assert (res.areas["anzahl_flurstuecke"] == 1).all()
    assert (res.areas["strasse"] == "Straße 1").all()


def test_footprint_must_fit_with_setback():
    # 8 × 10 m minimum footprint plus 3 m to the parcel boundary needs 14 m width:
    # parcels 13 m wide do not fit it (alone), 15 m wide do
    for width, expected in ((13.0, 0), (15.0, 4)):
        parcels, houses, roads = street_row(4, width=width)
        houses = [shapely.box(p.bounds[0] + 2, Y0 + 5, p.bounds[0] + 8, Y0 + 17) for p in parcels]
        layers = make_layers(parcels, houses, roads)
        res = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
        assert len(res.areas) == expected, width


def test_block_interior_merges_across_parcels():
    res = derive_candidates(make_layers(*street_row(6)))
    assert len(res.areas) == 1
    assert res.areas.iloc[0]["anzahl_flurstuecke"] == 6
    assert abs(res.areas.iloc[0]["flaeche_m2"] - 6 * 800.0) < 1e-6


def test_narrow_strips_merge_into_one_block_interior():
    # Moselle-style strip parcels, 6 m wide: each backland (6 × 40 m) is too narrow alone,
    # together they form one 36 × 40 m interior owned by six owners
    parcels, _, roads = street_row(6, width=6.0)
    houses = [shapely.box(p.bounds[0] + 1, Y0 + 5, p.bounds[0] + 5, Y0 + 17) for p in parcels]
    res = derive_candidates(make_layers(parcels, houses, roads))
    assert len(res.areas) == 1
    area = res.areas.iloc[0]
    assert area["anzahl_flurstuecke"] == 6
    assert abs(area["flaeche_m2"] - 36 * 40) < 1.0
    assert len(area["flurstuecke"].split(",")) == 6
    assert res.areas.index[0] == "2566-1-1-a"  # main parcel: the largest share, ties by position


def test_corner_and_through_lot_have_a_front_zone_toward_each_street():
    # one 20 × 70 m through-lot between a southern and a northern street; houses on the
    # southern street only, so the northern street gets the default front depth (25 m + 3 m)
    parcels, houses, roads = street_row(3, depth=70.0)
    north = shapely.box(X0 - 20, Y0 + 70, X0 + 80, Y0 + 80)
    layers = make_layers(parcels, houses, roads + [north])
    res = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
    zones = shapely.union_all(res.streets["vorderzone"].to_numpy())
    assert len(res.areas) == 3
    for geom in res.areas.geometry:
        assert shapely.area(shapely.intersection(geom, zones)) < 1e-6
    # 70 − 20 (south) − 28 (north) = 22 m deep → 20 × 22 = 440 m²
    np.testing.assert_allclose(res.areas["flaeche_m2"], 440.0)


def test_shallow_parcels_are_accounted_with_reason():
    parcels, houses, roads = street_row(4, depth=20.0)  # the front zone (17 + 3 m) covers them
    res = derive_candidates(make_layers(parcels, houses, roads))
    assert len(res.areas) == 0
    assert (res.parcels["status"] == "ausgeschlossen").all()
    assert res.parcels["grund"].str.contains("Vorderzone").all()


def test_rear_house_is_precedent_and_does_not_move_the_line():
    parcels, houses, roads = street_row(6)
    rear = shapely.box(X0 + 45, Y0 + 40, X0 + 55, Y0 + 50)  # main building on parcel 3, behind the line
    layers = make_layers(parcels, houses + [rear], roads)
    res = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
    assert res.streets["baulinie_m"].tolist() == [17.0]
    assert res.blocks["hinterhaeuser"].sum() == 1
    assert (res.areas["block_hinterhaeuser"] == 1).all()
    street, depth = street_depths(layers.buildings, res.streets)
    assert depth.max() == 50.0
    # parcel 3 keeps only the strip between front zone and rear house: 20 × (37 − 20) m; the 2 m
    # strips beside the house (20 − 10 − 2 × 3) are narrower than the minimum width and vanish
    # (plus up to ~11 m² under the bevelled corners of the buffered house, quad_segs=2)
    assert 340.0 <= res.areas.loc["2566-1-3-a", "flaeche_m2"] <= 352.0


def test_ancillary_buildings_are_removable_by_config():
    parcels, houses, roads = street_row(3)
    garage = shapely.box(X0 + 5, Y0 + 35, X0 + 11, Y0 + 41)  # a garage in the backland of parcel 1
    layers = make_layers(parcels, houses + [garage], roads, funktion=[1010, 1010, 1010, 2463])
    kept = derive_candidates(layers, CandidateParams(merge_block_interiors=False)).areas
    strict = derive_candidates(layers, CandidateParams(ancillary_removable=False, merge_block_interiors=False)).areas
    assert kept.loc["2566-1-1-a", "flaeche_m2"] == 800.0
    assert strict.loc["2566-1-1-a", "flaeche_m2"] < 800.0 - 11.9 * 11.9  # garage + 3 m all round cut out


def test_every_parcel_appears_once_in_the_accounting():
    parcels, houses, roads = street_row(6)
    parcels.append(shapely.box(X0, Y0 - 200, X0 + 20, Y0 - 180))  # not residential (no land use)
    res = derive_candidates(make_layers(parcels, houses, roads, landuse=[shapely.box(X0, Y0, X0 + 120, Y0 + 60)]),
                            CandidateParams(merge_block_interiors=False))
    acc = res.parcels
    assert acc["flstkennz"].is_unique and len(acc) == 7
    assert (acc["status"] == "Kandidat").sum() == 6
    assert acc.loc[acc["status"] == "ausgeschlossen", "grund"].iloc[0].startswith("Nutzung unbekannt")


def test_ids_are_stable_when_another_block_changes():
    parcels, houses, roads = street_row(4)
    far = [shapely.affinity.translate(g, 0, 500) for g in parcels]
    far_h = [shapely.affinity.translate(g, 0, 500) for g in houses]
    far_r = [shapely.affinity.translate(g, 0, 500) for g in roads]
    p = CandidateParams(merge_block_interiors=False)
    base = derive_candidates(make_layers(parcels + far, houses + far_h, roads + far_r), p)
    # the far block changes: one parcel gets a second house in its backland
    extra = shapely.box(X0 + 22, Y0 + 530, X0 + 38, Y0 + 552)
    changed = derive_candidates(make_layers(parcels + far, houses + far_h + [extra], roads + far_r), p)
    near = [i for i in base.areas.index if i in {f"2566-1-{k}-a" for k in range(1, 5)}]
    assert len(near) == 4
    pd.testing.assert_series_equal(base.areas.loc[near, "flaeche_m2"], changed.areas.loc[near, "flaeche_m2"])
    assert len(changed.areas) == len(base.areas) - 1
    # with block interiors merged (default) the near block keeps its id as well
    merged = [derive_candidates(make_layers(parcels + far, houses + far_h + extra_h, roads + far_r)).areas
              for extra_h in ([], [extra])]
    near_ids = [i for i in merged[0].index if merged[0].loc[i, "block_id"] == merged[0]["block_id"].max()]
    assert near_ids == ["2566-1-1-a"]
    assert "2566-1-1-a" in merged[1].index
    assert merged[0].loc["2566-1-1-a", "flaeche_m2"] == merged[1].loc["2566-1-1-a", "flaeche_m2"]


def test_make_ids_letters_follow_position():
    main = pd.DataFrame({"gemarkung": ["2566"] * 3, "flur": [1] * 3, "zaehler": [7] * 3, "nenner": [pd.NA] * 3})
    pts = np.array([shapely.Point(0, 0), shapely.Point(0, 10), shapely.Point(5, 10)])
    assert make_ids(main, pts).tolist() == ["2566-1-7-c", "2566-1-7-a", "2566-1-7-b"]


def test_planner_areas_replace_derivation():
    import geopandas as gpd

    parcels, houses, roads = street_row(4)
    drawn = gpd.GeoDataFrame({"name": ["Nord 1"]}, geometry=[shapely.box(X0 + 10, Y0 + 30, X0 + 30, Y0 + 55)],
                             crs="EPSG:25832")
    layers = make_layers(parcels, houses, roads, planner_areas=drawn)
    res = derive_candidates(layers, CandidateParams(mode="planner"))
    assert res.areas.index.tolist() == ["P-Nord 1"]
    area = res.areas.iloc[0]
    assert area["quelle"] == "planer"
    assert area["anzahl_flurstuecke"] == 2 and area["flaeche_m2"] == 500.0
    both = derive_candidates(layers, CandidateParams(mode="both", merge_block_interiors=False))
    assert "P-Nord 1" in both.areas.index and len(both.areas) == 1 + 4


def test_no_candidates_still_assesses_and_accounts():
    from nachverdichtung.config import config_from_dict
    from nachverdichtung.pipeline import assess

    parcels, houses, roads = street_row(3, depth=20.0)
    result = assess(config_from_dict({"alkis": {"path": "."}}), layers=make_layers(parcels, houses, roads))
    assert len(result.areas) == 0
    assert result.class_counts().sum() == 0
    assert (result.decision_counts() == 0).all()
    assert len(result.parcels) == 3


def test_street_pieces_near_cuts_only_the_cells_around_the_geometries():
    # a 500 × 100 m polygon on a 100 m grid has five pieces; near a box in the first cell only the
    # pieces of that cell and of its neighbour are cut, the same geometries in the same order
    poly = np.array([shapely.box(0, 0, 500, 100)])
    all_pieces, all_owner = street_pieces(poly, 100.0, 1000)
    near, near_owner = street_pieces(poly, 100.0, 1000, near=np.array([shapely.box(10, 10, 20, 20)]))
    assert len(all_pieces) == 5 and len(near) == 2
    assert sorted(shapely.bounds(near)[:, 0].tolist()) == [0.0, 100.0]
    keep = np.isin(shapely.bounds(all_pieces)[:, 0], [0.0, 100.0])
    assert shapely.equals_exact(all_pieces[keep], near, 0).all() and near_owner.tolist() == [0, 0]


def test_land_shares_intersect_other_land_use_only_where_it_can_be_the_largest():
    # parcel 0: 600 m² on the eligible piece, at most 200 m² (its box overlap) on the other → not needed;
    # parcel 1: 200 m² eligible, 600 m² on the other land use, which is its largest share → intersected
    parcels = np.array([shapely.box(0, 0, 20, 40), shapely.box(100, 0, 120, 40)])
    pieces = np.array([shapely.box(0, 0, 20, 30), shapely.box(0, 30, 20, 60),
                       shapely.box(100, 0, 120, 10), shapely.box(100, 10, 120, 60)])
    owner = np.arange(4)
    keep = np.array([True, False, True, False])
    gi, pj, _inter, area = _share_pairs(parcels, pieces, owner, keep, 0.01)
    got = sorted(zip(gi.tolist(), pj.tolist(), np.round(area, 6).tolist()))
    assert got == [(0, 0, 600.0), (1, 2, 200.0), (1, 3, 600.0)]


def test_pieces_below_the_minimum_area_are_not_opened_and_not_usable():
    # 15 × 15 m = 225 m² < 250 m²: never usable, returned as it is; 30 × 30 m holds 8 × 10 m with 3 m setback
    small, large = shapely.box(0, 0, 15, 15), shapely.box(100, 0, 130, 30)
    geoms = np.array([small, large])
    opened, usable = _usable(geoms, geoms, CandidateParams())
    assert usable.tolist() == [False, True]
    assert opened[0] is small and shapely.equals(opened[1], large)
