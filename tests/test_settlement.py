"""The derived Innenbereich (Bebauungszusammenhang) when no settlement layer is given: hand-made villages."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from nachverdichtung.candidates import CandidateParams, derive_candidates
from nachverdichtung.settlement import derive_settlement

from .districts import CRS, X0, Y0, make_layers, street_row


def houses(xs, y=0.0, kategorie="haupt"):
    g = [shapely.box(X0 + x, Y0 + y, X0 + x + 10, Y0 + y + 10) for x in xs]
    return gpd.GeoDataFrame({"kategorie": [kategorie] * len(g)}, geometry=g, crs=CRS)


NO_LU = gpd.GeoDataFrame({"nutzung": []}, geometry=[], crs=CRS)


def test_small_gaps_are_closed_wide_gaps_split_small_clusters_drop():
    # 10 houses 25 m apart (15 m gaps), a 40 m gap, 10 more; then 100 m away 4 houses (a hamlet)
    west = list(range(0, 250, 25))                 # 0 … 225, last house ends at 235
    east = [275 + x for x in range(0, 250, 25)]   # 40 m gap: 235 → 275
    hamlet = [600 + x for x in (0, 25, 50, 75)]  # 100+ m from the village
    b = gpd.GeoDataFrame(pd_concat([houses(west), houses(east), houses(hamlet)]), crs=CRS)
    s = derive_settlement(b, NO_LU, gap_m=60.0, min_buildings=10, margin_m=5.0)
    assert len(s) == 1 and int(s["hauptgebaeude"].iloc[0]) == 20
    x0, y0, x1, y1 = s.geometry.iloc[0].bounds
    # closing: 5 m margin around the outermost houses, the 40 m gap is closed
    assert abs(x0 - (X0 - 5)) < 0.5 and abs(x1 - (X0 + 510 + 5)) < 0.5
    assert s.geometry.iloc[0].contains(shapely.Point(X0 + 255, Y0 + 5))
    # with a 30 m gap distance the 40 m gap splits the village in two settlements of 10
    s2 = derive_settlement(b, NO_LU, gap_m=30.0, min_buildings=10, margin_m=5.0)
    assert sorted(s2["hauptgebaeude"].tolist()) == [10, 10]
    # the hamlet of 4 is a settlement of its own only when 4 buildings are enough
    s3 = derive_settlement(b, NO_LU, gap_m=60.0, min_buildings=4, margin_m=5.0)
    assert sorted(s3["hauptgebaeude"].tolist()) == [4, 20]


def pd_concat(frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def test_ancillary_buildings_do_not_make_a_settlement():
    b = pd_concat([houses(range(0, 250, 25)), houses(range(600, 900, 25), kategorie="neben")])
    s = derive_settlement(gpd.GeoDataFrame(b, crs=CRS), NO_LU, min_buildings=10)
    assert len(s) == 1 and s.geometry.iloc[0].bounds[2] < X0 + 300


def test_built_land_use_overlapping_the_settlement_is_added_whole_fields_are_not():
    b = houses(range(0, 250, 25))
    block = shapely.box(X0 - 10, Y0 - 10, X0 + 260, Y0 + 120)   # Wohnbaufläche with deep gardens
    vine = shapely.box(X0 - 10, Y0 + 120, X0 + 260, Y0 + 250)   # vineyard behind it
    lone = shapely.box(X0 + 1000, Y0, X0 + 1100, Y0 + 100)      # Wohnbaufläche far away, no houses
    lu = gpd.GeoDataFrame({"nutzung": ["wohnbau", "landwirtschaft", "wohnbau"]}, geometry=[block, vine, lone],
                          crs=CRS)
    s = derive_settlement(b, lu)
    g = s.geometry.iloc[0]
    assert len(s) == 1
    assert g.contains(shapely.Point(X0 + 100, Y0 + 110))          # garden inside the Wohnbaufläche
    assert not g.intersects(shapely.box(X0, Y0 + 130, X0 + 250, Y0 + 250))  # vineyard stays outside
    assert not g.intersects(lone)


def test_candidates_outside_the_derived_innenbereich_are_aussenbereich():
    # a village row of 12 houses and, 300 m east, a hamlet of 3: no settlement layer given
    parcels, hs, roads = street_row(12)
    hp, hh, hr = street_row(3)
    hp = [shapely.affinity.translate(g, 540, 0) for g in hp]
    hh = [shapely.affinity.translate(g, 540, 0) for g in hh]
    layers = make_layers(parcels + hp, hs + hh, roads + [shapely.affinity.translate(hr[0], 540, 0)],
                         settlement=None)
    res = derive_candidates(layers, CandidateParams(merge_block_interiors=False))
    acc = res.parcels
    hamlet = acc.iloc[12:]
    assert (hamlet["grund"] == "Außenbereich (§ 35 BauGB; Innenbereich abgeleitet)").all()
    assert (acc.iloc[:12]["status"] == "Kandidat").all()
    assert (res.areas["innenbereich"] == "abgeleitet").all()
    assert res.settlement is not None and (res.settlement["quelle"] == "abgeleitet").all()
    assert res.notes and res.notes[0].startswith("Innenbereich abgeleitet")
    # switched off: everything counts as Innenbereich, and the run log says so
    off = derive_candidates(layers, CandidateParams(merge_block_interiors=False, settlement_derive=False))
    assert (off.parcels["status"] == "Kandidat").sum() == 15
    assert "abgeschaltet" in off.notes[0]


def test_derived_settlement_is_vectorised_over_many_buildings():
    # 50 villages of 12 houses on a grid: one union, one tree query, no loop per building
    xs = np.arange(12) * 25.0
    frames = [houses(xs + 1000 * (k % 10), 1000 * (k // 10)) for k in range(50)]
    s = derive_settlement(gpd.GeoDataFrame(pd_concat(frames), crs=CRS), NO_LU)
    assert len(s) == 50 and (s["hauptgebaeude"] == 12).all()
