"""The sample district's results equal the stored reference (ids, classes, measured values).

Performance work on the single path (issue #21) must not change a result: the reference in
``tests/reference/`` holds what the code decided before that work; see its README for when
(and how) it may be regenerated.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tests.reference_results import compare, read, snapshot

REFERENCE = Path(__file__).parent / "reference" / "sample"


def test_sample_areas_equal_the_reference(sample_assessment):
    areas, _ = snapshot(sample_assessment)
    expected, _ = read(REFERENCE)
    assert len(expected) > 100 and expected["klasse"].nunique() >= 3  # the reference is not trivial
    assert compare(areas, expected) == []


def test_sample_parcels_equal_the_reference(sample_assessment):
    _, parcels = snapshot(sample_assessment)
    _, expected = read(REFERENCE)
    assert compare(parcels, expected) == []


def test_compare_finds_a_changed_value_and_class():
    expected = pd.DataFrame({"klasse": ["geeignet", "ungeeignet"], "breite_m": [3.0, 1000.0]}, index=["a", "b"])
    same = expected.assign(breite_m=[3.009, 1000.9])  # within 0.01 m and within 0.1 %
    assert compare(same, expected) == []
    moved = expected.assign(breite_m=[3.02, 1000.0], klasse=["geeignet", "bedingt geeignet"])
    problems = compare(moved, expected)
    assert any(p.startswith("breite_m: 1") for p in problems) and any(p.startswith("klasse: 1") for p in problems)
    assert compare(expected.drop(index="b"), expected)[0].startswith("ids: 1 fehlen")


@pytest.mark.slow
def test_larger_district_equals_its_reference():
    """A larger district (e.g. the 10k benchmark district) against a reference kept outside the repo.

    ``NV_REFERENCE_CONFIG=DATA/data_10000/sample/config.yml NV_REFERENCE_PREFIX=/work/bench-data/ref10k``
    (written before the change with ``python -m tests.reference_results CONFIG PREFIX``); skipped without them.
    """
    config, prefix = os.environ.get("NV_REFERENCE_CONFIG"), os.environ.get("NV_REFERENCE_PREFIX")
    if not (config and prefix and Path(config).exists() and Path(f"{prefix}_areas.csv").exists()):
        pytest.skip("NV_REFERENCE_CONFIG / NV_REFERENCE_PREFIX not set (larger district and its reference)")
    from nachverdichtung.pipeline import assess

    areas, parcels = snapshot(assess(config))
    expected_areas, expected_parcels = read(prefix)
    assert compare(areas, expected_areas) == []
    assert compare(parcels, expected_parcels) == []
