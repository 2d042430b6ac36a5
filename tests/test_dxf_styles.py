"""The sample district as ALKIS DXF in the styles offices export, against the Shapefile run.

Each file is written with ezdxf directly (``tests/dxf_styles.py``), read with ``preset: auto`` and
only the CRS (plus ``offset`` for shortened coordinates), and assessed. The reference is the
Shapefile run of the same sample in this session (without the criteria fed only by ALKIS' legal layers,
which a DXF does not carry): the same parcels
(count within 0.5 %), at least 99 % the same Flurstückskennzeichen, the same area ids and classes.
"""

from __future__ import annotations

import dataclasses

import pytest

from nachverdichtung.config import AlkisConfig, load_config
from nachverdichtung.pipeline import assess
from tests import dxf_styles

pytestmark = pytest.mark.slow
CRS = "EPSG:25832"
SHIFT = (400_000.0, 5_400_000.0)  # reduction constants of the shortened style (exact in binary)


#: Criteria rated only from ALKIS' legal layers (ax_denkmalschutzrecht, …), which a DXF export does not
#: carry as attributed objects: left out of both runs, so the comparison is on the same information.
ALKIS_ONLY = ("denkmalschutz", "hochwasser")


def _config(sample_config, **alkis):
    cfg = load_config(sample_config)
    criteria = {k: v for k, v in cfg.criteria.items() if k not in ALKIS_ONLY}
    cfg = dataclasses.replace(cfg, criteria=criteria)
    return dataclasses.replace(cfg, alkis=AlkisConfig(**alkis)) if alkis else cfg


def _run(sample_config, path, **alkis):
    return assess(_config(sample_config, path=path, crs=CRS, preset="auto", **alkis))


@pytest.fixture(scope="module")
def reference(sample_config):
    """The Shapefile run of the sample without the criteria that only ALKIS' legal layers feed."""
    return assess(_config(sample_config))


@pytest.fixture(scope="module")
def styles(reference, sample_config, tmp_path_factory):
    """style name → assessment of its DXF (computed lazily, once per module)."""
    folder = tmp_path_factory.mktemp("dxf_styles")
    layers = reference.layers
    writers = {
        "german": lambda p: dxf_styles.write_german(p, layers),
        "objektarten": lambda p: dxf_styles.write_objektarten(p, layers),
        "blocks": lambda p: dxf_styles.write_german(p, layers, numbers="blocks", lines=False),
        "arrows": lambda p: dxf_styles.write_german(p, layers, numbers="arrows", lines=False),
        "shortened": lambda p: dxf_styles.write_german(p, layers, shift=SHIFT, lines=False),
    }
    cache = {}

    def get(name):
        if name not in cache:
            path = writers[name](folder / f"{name}.dxf")
            extra = {"offset": SHIFT} if name == "shortened" else {}
            cache[name] = _run(sample_config, path, **extra)
        return cache[name]

    return get


def _compare(ref, got, min_same_ids=1.0):
    pr, pg = ref.layers.parcels, got.layers.parcels
    assert abs(len(pg) - len(pr)) <= 0.005 * len(pr), (len(pg), len(pr))
    same = len(set(pr["flstkennz"]) & set(pg["flstkennz"])) / len(pr)
    assert same >= 0.99, same
    common = ref.areas.index.intersection(got.areas.index)
    share = len(common) / max(len(ref.areas), len(got.areas))
    assert share >= min_same_ids, (share, sorted(set(ref.areas.index) ^ set(got.areas.index)))
    assert (got.areas.loc[common, "klasse"] == ref.areas.loc[common, "klasse"]).all()
    return same, share


@pytest.mark.parametrize("style", ["german", "objektarten", "blocks", "arrows", "shortened"])
def test_style_matches_the_shapefile_run(style, styles, reference):
    got = styles(style)
    # Single boundary lines cannot carry the sample's overlaps and gaps between neighbouring
    # parcels (up to 0.024 m², see docs/dxf.md); the candidate rows react to them in a few areas.
    # The styles carry the land-use object types but not the vegetationsmerkmal/funktion of the village-edge
    # gardens (Gartenland, Garten; issue #15): their two backland areas are, conservatively, not derived from
    # the DXF. Every area the DXF gives must be one of the Shapefile run's, with the same class.
    _compare(reference, got, min_same_ids=0.94 if style == "german" else 0.98)
    assert set(got.areas.index) <= set(reference.areas.index) or style == "german"
    hints = [p for p in got.layers.problems if ".dxf:" in p]
    assert len(hints) <= 12, hints  # aggregated: one line per kind
    assert any(f"gewählt: {'dxf_ax_objektarten' if style == 'objektarten' else 'dxf_sample'}" in p
               for p in hints)
    if style == "arrows":  # the numbers without arrow really were outside every parcel
        assert any("außerhalb ihres Flurstücks dem nächsten Flurstück" in p for p in hints), hints
