"""The criterion contract, checked for every registered criterion.

Generic inputs: a tiny district (four parcels on one street, one rear house), its derived
candidates, and the optional layers either missing or present but empty (vector layers with the
canonical columns and no rows, rasters that are flat zero).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from nachverdichtung.candidates import CandidateParams, derive_candidates
from nachverdichtung.criteria import KLASSEN, REGISTRY
from nachverdichtung.criteria.base import UNBEWERTET
from nachverdichtung.io.raster import open_raster_source
from nachverdichtung.layers import RASTER_INPUTS, VECTOR_INPUTS
from nachverdichtung.params import build, describe

from .districts import CRS, X0, Y0, make_layers, street_row

NAMES = list(REGISTRY)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "criteria.md"


@pytest.fixture(scope="module")
def district():
    parcels, houses, roads = street_row(4, depth=70.0)
    rear = shapely.box(X0 + 25, Y0 + 45, X0 + 35, Y0 + 55)
    layers = make_layers(parcels, houses + [rear], roads)
    areas = derive_candidates(layers, CandidateParams(merge_block_interiors=False)).areas  # one area per parcel
    assert len(areas) >= 3
    return layers, areas


@pytest.fixture(scope="module")
def full_layers(district, tmp_path_factory):
    """The district with every optional input present but empty (vectors) or flat zero (rasters)."""
    layers, _ = district
    folder = tmp_path_factory.mktemp("rasters")
    left, bottom, right, top = layers.parcels.total_bounds
    width, height = int(right - left) + 40, int(top - bottom) + 40
    transform = Affine(1.0, 0.0, left - 20, 0.0, -1.0, top + 20)
    rasters = {}
    for name in RASTER_INPUTS:
        path = folder / f"{name}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                           crs=CRS, transform=transform, nodata=-9999.0) as ds:
            ds.write(np.zeros((1, height, width), dtype="float32"))
        rasters[name] = open_raster_source(path, name=name)
    vectors = {}
    for name, (_, kind, columns, numeric) in VECTOR_INPUTS.items():
        data = {c: pd.Series([], dtype=float if c in numeric else object) for c in columns}
        vectors[name] = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return layers.replace(vectors=vectors, rasters=rasters)


def _snapshot(candidates, layers):
    frames = {"candidates": candidates, "parcels": layers.parcels, "buildings": layers.buildings,
              "roads": layers.roads, "landuse": layers.landuse, **layers.vectors}
    return {k: v.copy(deep=True) for k, v in frames.items()}, copy.deepcopy(layers.rasters)


def _check_result(name, res, candidates):
    assert isinstance(res, pd.DataFrame)
    assert res.index.equals(candidates.index)
    assert all(c.startswith(f"{name}_") for c in res.columns), res.columns.tolist()
    assert {f"{name}_klasse", f"{name}_grund"} <= set(res.columns)
    assert res[f"{name}_klasse"].isin(KLASSEN).all(), res[f"{name}_klasse"].unique()
    grund = res[f"{name}_grund"]
    assert grund.map(lambda s: isinstance(s, str) and len(s) > 0).all(), grund.tolist()
    key = REGISTRY[name].key_measure
    if key:
        assert f"{name}_{key}" in res.columns


def _check_untouched(before, after):
    frames_b, rasters_b = before
    frames_a, rasters_a = after
    assert frames_b.keys() == frames_a.keys()
    for k in frames_b:
        pd.testing.assert_frame_equal(frames_a[k], frames_b[k], obj=k)
    assert rasters_a == rasters_b


@pytest.mark.parametrize("name", NAMES)
def test_contract_without_optional_inputs(name, district):
    layers, areas = district
    crit = REGISTRY[name]
    before = _snapshot(areas, layers)
    res = crit(areas, layers)
    _check_result(name, res, areas)
    _check_untouched(before, _snapshot(areas, layers))
    if crit.inputs:
        # its optional data is missing: nothing may pass, unless the criterion falls back on a
        # documented substitute from the required layers and every reason says so
        rated = res[f"{name}_klasse"] != UNBEWERTET
        if rated.any():
            assert "Ersatz" in crit.summary, res.loc[rated, f"{name}_grund"]
            assert res.loc[rated, f"{name}_grund"].str.contains("Ersatz").all()
    else:
        # needs only the required layers: the docstring must say when it is "nicht bewertet"
        assert "nicht bewertet" in (crit.evaluate.__doc__ or "")


@pytest.mark.parametrize("name", NAMES)
def test_contract_with_empty_optional_inputs(name, district, full_layers):
    _, areas = district
    before = _snapshot(areas, full_layers)
    res = REGISTRY[name](areas, full_layers)
    _check_result(name, res, areas)
    _check_untouched(before, _snapshot(areas, full_layers))


@pytest.mark.parametrize("name", NAMES)
def test_contract_with_no_areas(name, district, full_layers):
    _, areas = district
    empty = areas.iloc[:0]
    res = REGISTRY[name](empty, full_layers)
    assert len(res) == 0
    assert {f"{name}_klasse", f"{name}_grund"} <= set(res.columns)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_frozen_and_documented(name):
    crit = REGISTRY[name]
    assert crit.title and crit.summary
    p = crit.params_type()
    assert dataclasses.is_dataclass(p)
    field = dataclasses.fields(p)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(p, field, getattr(p, field))
    assert build(crit.params_type, {}, key=f"criteria.{name}", file=None) == p
    for row in describe(p):
        assert row["doc"], f"{name}.{row['name']} has no doc"
        assert row["source"], f"{name}.{row['name']} has no source (use 'Konvention')"


@pytest.mark.parametrize("name", NAMES)
def test_docs_describe_every_criterion_and_parameter(name):
    text = DOCS.read_text(encoding="utf-8")
    crit = REGISTRY[name]
    assert f"`{name}`" in text, f"docs/criteria.md does not describe {name}"
    section = text.split(f"`{name}`", 1)[1].split("\n## ", 1)[0]
    for row in describe(crit.params_type):
        line = next((ln for ln in section.splitlines() if ln.startswith(f"| `{row['name']}` |")), None)
        assert line is not None, f"docs/criteria.md: {name}.{row['name']} missing"
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == doc_value(row["value"]), f"docs/criteria.md: default of {name}.{row['name']} is stale"
        assert cells[3] == row["source"], f"docs/criteria.md: source of {name}.{row['name']} is stale"
    assert "Beispiel" in section


def doc_value(v) -> str:
    """How docs/criteria.md writes a default value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) or "–"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in v.items()) or "–"
    return str(v)
