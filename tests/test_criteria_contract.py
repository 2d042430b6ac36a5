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
from nachverdichtung.params import build, describe, param

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


# --- every number has a home ---------------------------------------------------------------------

#: Parameters that do not have a home yet (the list only shrinks; empty now).
PENDING_SOURCES: set[str] = set()
#: Words a "Konvention" needs after it: a reason a planner can check, not a label.
MIN_REASON_WORDS = 4


def source_problem(source: str) -> str | None:
    """Why ``source`` does not give a parameter's value a home (``None`` if it does).

    A source names a statute, standard or document, or says "Konvention: <reason>" with a reason
    of at least ``MIN_REASON_WORDS`` words; a bare "Konvention" (the default of ``params.param``)
    or a "Konvention" followed by a word or two is not enough.

    >>> source_problem("§ 8 LBauO RLP: 0,4 H, mindestens 3 m") is None
    True
    >>> source_problem("Konvention")
    "bare 'Konvention'"
    """
    text = (source or "").strip()
    if not text:
        return "no source"
    if text.rstrip(" .:;") == "Konvention":
        return "bare 'Konvention'"
    for part in text.split("Konvention")[1:]:
        reason = part.lstrip(" :–-").split(";")[0]
        if len(reason.split()) < MIN_REASON_WORDS:
            return f"'Konvention' without a reason of at least {MIN_REASON_WORDS} words: {text!r}"
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def every_parameter():
    """(qualified name, describe row) of every documented parameter the tool's results depend on.

    All parameters of the criteria, the candidate derivation (with Innenbereich and land use) and
    the rating, plus every numeric parameter of the other configuration sections.
    """
    from nachverdichtung import config as cfgmod

    groups = {f"criteria.{n}": c.params_type for n, c in REGISTRY.items()}
    groups |= {"candidates": CandidateParams, "rating": cfgmod.RatingConfig}
    for name, cls in groups.items():
        for row in describe(cls):
            yield f"{name}.{row['name']}", row
    for name, cls in {"alkis": cfgmod.AlkisConfig, "inputs": cfgmod.InputsConfig, "source": cfgmod.SourceConfig,
                      "output": cfgmod.OutputConfig, "owners": cfgmod.OwnersConfig}.items():
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING and _is_number(f.default) and "doc" in f.metadata:
                yield f"{name}.{f.name}", {"name": f.name, "source": f.metadata.get("source", "Konvention")}


def test_source_check_rejects_a_bare_konvention():
    @dataclasses.dataclass(frozen=True)
    class Fake:
        bare: float = param(1.0, doc="x")  # the default source of params.param: "Konvention"
        label: float = param(2.0, doc="x", source="Konvention: üblich")
        reasoned: float = param(3.0, doc="x", source="Konvention: 3 m ist die Breite einer Zufahrt")
        statute: float = param(4.0, doc="x", source="§ 7 LBauO RLP")
        mixed: float = param(5.0, doc="x", source="DIN 18920; Konvention")

    problems = {row["name"]: source_problem(row["source"]) for row in describe(Fake)}
    assert problems["bare"] == "bare 'Konvention'"
    assert problems["label"].startswith("'Konvention' without a reason")
    assert problems["mixed"].startswith("'Konvention' without a reason")
    assert problems["reasoned"] is None and problems["statute"] is None


def test_every_number_has_a_home():
    rows = dict(every_parameter())
    assert len(rows) > 100  # criteria, candidates, rating and the numeric config settings are all seen
    assert {"candidates.min_piece_m2", "candidates.grid_cell_m", "rating.missing", "criteria.baeume.umfang_min_cm",
            "alkis.dxf_number_distance_m", "owners.antwort_tage"} <= set(rows)
    bad = {name: problem for name, row in rows.items()
           if name not in PENDING_SOURCES and (problem := source_problem(row["source"]))}
    assert not bad, "parameters without a source (name a statute/document or write 'Konvention: <reason>'): " + \
        "; ".join(f"{k}: {v}" for k, v in sorted(bad.items()))
    stale = {n for n in PENDING_SOURCES if n in rows and source_problem(rows[n]["source"]) is None}
    assert not stale, f"now documented, remove from PENDING_SOURCES: {sorted(stale)}"


def test_docs_describe_the_candidate_parameters():
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("(`candidates`)", 1)[1].split("\n## ", 1)[0]
    for row in describe(CandidateParams):
        line = next((ln for ln in section.splitlines() if ln.startswith(f"| `{row['name']}` |")), None)
        assert line is not None, f"docs/criteria.md: candidates.{row['name']} missing"
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == doc_value(row["value"]), f"docs/criteria.md: default of candidates.{row['name']} is stale"
        assert cells[3] == row["source"], f"docs/criteria.md: source of candidates.{row['name']} is stale"
