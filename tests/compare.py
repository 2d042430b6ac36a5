"""Assertions shared by the tests that compare two runs of the same district."""

from __future__ import annotations

import numpy as np
import pandas as pd


def assert_same_result(single, part) -> None:
    """Two assessments agree: area ids, every column (floats to 1e-9 relative), parcels and their reasons."""
    assert list(part.areas.index) == list(single.areas.index)
    assert list(part.areas.columns) == list(single.areas.columns)
    for col in single.areas.columns.drop("geometry"):
        a, b = single.areas[col], part.areas[col]
        if pd.api.types.is_float_dtype(a):
            assert np.allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, equal_nan=True), col
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), col
    assert part.parcels["flstkennz"].tolist() == single.parcels["flstkennz"].tolist()
    assert part.parcels["grund"].fillna("").tolist() == single.parcels["grund"].fillna("").tolist()
