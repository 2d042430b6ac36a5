"""Fit test (nachverdichtung.fit): the shortcuts give exactly the counts of the full test."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from nachverdichtung.fit import count_footprints, count_footprints_sizes, footprint_fits

X0, Y0 = 400_000.0, 5_500_000.0


def _polys():
    # 1: 12 × 10 box → one 10 × 12 footprint (turned); 2: 11 × 9 → none; 3: 40 × 12 strip → two with a 6 m gap
    # (10 + 6 + 10 ≤ 40, three need 42); 4: an L of two 11 m arms, 9 m wide → none (no arm is 10 wide);
    # 5: a 20 × 20 square turned by 30° → one along its own frame (the grid frame is checked too); 6: empty
    square = shapely.affinity.rotate(box(X0, Y0, X0 + 20, Y0 + 20), 30, origin="centroid")
    ell = Polygon([(0, 0), (11, 0), (11, 9), (9, 9), (9, 20), (0, 20)])
    return np.array([box(X0, Y0, X0 + 12, Y0 + 10), box(X0, Y0, X0 + 11, Y0 + 9), box(X0, Y0, X0 + 40, Y0 + 12),
                     shapely.affinity.translate(ell, X0, Y0), square, Polygon()], dtype=object)


def test_counts_worked_out_by_hand():
    assert count_footprints(_polys(), 10, 12).tolist() == [1, 0, 2, 0, 1, 0]


def test_fits_is_count_above_zero():
    polys = _polys()
    for w, l in ((10, 12), (8, 10), (9, 9), (3, 30)):
        np.testing.assert_array_equal(footprint_fits(polys, w, l), count_footprints(polys, w, l) > 0)
    # 11 × 9 holds 8 × 10 turned (10 along 11, 8 across 9); the L's 9 m arms hold it too
    assert footprint_fits(polys, 8, 10).tolist() == [True, True, True, True, True, False]


def test_sizes_at_once_equal_one_by_one():
    polys = _polys()
    full, small = count_footprints_sizes(polys, [(10, 12), (8, 10)], gap=4.0)
    np.testing.assert_array_equal(full, count_footprints(polys, 10, 12, gap=4.0))
    np.testing.assert_array_equal(small, count_footprints(polys, 8, 10, gap=4.0))
    assert small[2] == 3  # 40 m strip, 8 m wide footprints lengthwise turned: 10 + 4 + 10 + 4 + 10 ≤ 40


def test_nothing_to_fit():
    assert footprint_fits(np.array([], dtype=object), 10, 12).tolist() == []
    assert count_footprints([None, Polygon()], 10, 12).tolist() == [0, 0]


def test_zero_area_erosion_holds_no_footprint():
    """Rounding leaves line or point slivers of an erosion: they must not count as one footprint."""
    from nachverdichtung.fit import _lattice_count

    free = np.array([shapely.LineString([(0, 0), (5, 0)]), shapely.Point(1, 1),
                     shapely.box(0, 0, 0.5, 0.5), shapely.Polygon()], dtype=object)
    assert _lattice_count(free, 10.0, 12.0).tolist() == [0, 0, 1, 0]


def test_a_rounding_sliver_of_the_erosion_is_no_fit():
    """11.990001 × 9.990001 m is 1 cm short of a 12 × 10 footprint in both directions.

    The erosion by the 1 cm smaller footprint (11.99 × 9.99) leaves a 1e-6 m square (area 1e-12 m²):
    that is rounding, not a position where the footprint fits. A footprint that fits exactly leaves a
    whole 1 cm square (1e-4 m²), and 3 mm short of it still counts.
    """
    short = shapely.box(0, 0, 11.990001, 9.990001)
    exact, almost = shapely.box(0, 0, 12, 10), shapely.box(0, 0, 11.9972, 9.9972)
    assert count_footprints([short, exact, almost], 10, 12).tolist() == [0, 1, 1]
    assert footprint_fits([short, exact, almost], 10, 12).tolist() == [False, True, True]
    # a sliver beside a real fit adds nothing: 12 × 10 plus a strip 1 cm short of a second footprint
    two = shapely.union_all([shapely.box(0, 0, 12, 10), shapely.box(18, 0, 29.990001, 9.990001)])
    assert count_footprints([two], 10, 12).tolist() == [1]
