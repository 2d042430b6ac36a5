"""The nearest geometry does not depend on the order of the spatial index."""

from __future__ import annotations

import numpy as np
import shapely

from nachverdichtung.candidates import street_depths
from nachverdichtung.sindex import nearest, query
from tests.districts import X0, Y0, make_layers


def test_an_exact_tie_goes_to_the_smallest_key_in_any_tree_order():
    # a point exactly 5 m from two boxes; the boxes in either order, keyed by a street number
    a, b = shapely.box(-10, 5, 10, 6), shapely.box(5, -10, 6, 10)
    pt = np.array([shapely.Point(0, 0)])
    assert shapely.distance(pt[0], a) == shapely.distance(pt[0], b) == 5.0
    for geoms, keys, expected in (([a, b], [7, 3], 1), ([b, a], [3, 7], 0), ([a, b], [3, 7], 0)):
        gi, tj, d = nearest(shapely.STRtree(geoms), pt, key=np.array(keys))
        assert gi.tolist() == [0] and tj.tolist() == [expected] and d.tolist() == [5.0]


def test_max_distance_and_no_tie():
    tree = shapely.STRtree([shapely.Point(3, 0), shapely.Point(10, 0)])
    gi, tj, d = nearest(tree, np.array([shapely.Point(0, 0), shapely.Point(100, 0)]), max_distance=20.0)
    assert gi.tolist() == [0] and tj.tolist() == [0] and d.tolist() == [3.0]


def test_a_corner_house_belongs_to_the_street_with_the_smaller_id_in_any_input_order():
    """A house 5 m from an east-west and a north-south street: the same street either way round."""
    house = shapely.box(X0 + 5, Y0 + 5, X0 + 15, Y0 + 15)
    ew, ns = shapely.box(X0 - 50, Y0 - 10, X0 + 50, Y0), shapely.box(X0 - 10, Y0 - 50, X0, Y0 + 50)
    for roads in ([ew, ns], [ns, ew]):
        layers = make_layers([shapely.box(X0, Y0, X0 + 40, Y0 + 40)], [house], roads, road_names=["A", "B"])
        from nachverdichtung.candidates import build_streets

        streets = build_streets(layers.roads)
        street, depth = street_depths(layers.buildings, streets)
        assert streets["name"].tolist() == ["A", "B"]
        assert street.tolist() == [0] and depth.tolist() == [15.0]


def test_query_pairs_come_in_tree_position_order_whatever_the_tree():
    """Many overlapping discs: the hits of each query in ascending tree position, equal for a subset tree."""
    rng = np.random.default_rng(1)
    discs = shapely.buffer(shapely.points(rng.random((400, 2)) * 100), 4)
    q = shapely.buffer(shapely.points(rng.random((30, 2)) * 100), 12)
    qi, tj = query(shapely.STRtree(discs), q, "intersects")
    raw_qi, raw_tj = shapely.STRtree(discs).query(q, predicate="intersects")
    assert sorted(zip(qi.tolist(), tj.tolist())) == list(zip(qi.tolist(), tj.tolist()))
    assert sorted(zip(raw_qi.tolist(), raw_tj.tolist())) == list(zip(qi.tolist(), tj.tolist()))
    # a tree over every second disc gives the same hits (mapped back), in the same order
    sub = np.arange(0, 400, 2)
    si, sj = query(shapely.STRtree(discs[sub]), q, "intersects")
    keep = tj % 2 == 0
    assert list(zip(si.tolist(), sub[sj].tolist())) == list(zip(qi[keep].tolist(), tj[keep].tolist()))
