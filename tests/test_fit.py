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
