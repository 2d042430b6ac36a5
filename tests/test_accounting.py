"""Parcel accounting through the CLI: every input parcel is a candidate or excluded with a reason.

The district gets three extra records that validation must drop (a duplicate with identical geometry,
a parcel without geometry, a zero-area sliver); they must still appear in ``flurstuecke.csv``.
"""

from __future__ import annotations

import re

import pyogrio
import pytest

from .badinput_cases import _parcels_with, _rewrite
from .badinput_district import read_outputs, write_district
from .districts import X0, Y0, kennz
from nachverdichtung.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")


@pytest.fixture(scope="module")
def messy_district(tmp_path_factory):
    import shapely

    d = tmp_path_factory.mktemp("accounting") / "d"
    config = write_district(d)
    p = pyogrio.read_dataframe(d / "alkis" / "ax_flurstueck.shp")
    sliver = shapely.Polygon([(X0, Y0 + 60), (X0 + 120, Y0 + 60), (X0 + 120, Y0 + 60.00001)])
    rows = _parcels_with((p.geometry.iloc[1], kennz(2)), (None, kennz(50)), (sliver, kennz(51)))
    _rewrite(d, "ax_flurstueck", rows)
    return config


def test_accounting_identity(messy_district, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["assess", str(messy_district), "--out", str(out), "-q", "--formats", "csv"]) == 0
    text = capsys.readouterr().out
    raw = pyogrio.read_dataframe(messy_district.parent / "alkis" / "ax_flurstueck.shp")
    assert len(raw) == 9
    _, parcels = read_outputs(out)
    # input parcels = parcels in candidates + parcels excluded with a reason
    assert len(parcels) == len(raw) == 9
    n_cand = int((parcels["status"] == "Kandidat").sum())
    n_excl = int((parcels["status"] == "ausgeschlossen").sum())
    assert n_cand + n_excl == 9
    assert n_cand == 6  # the six original parcels all hold backland
    excluded = parcels[parcels["status"] == "ausgeschlossen"]
    assert excluded["grund"].fillna("").str.strip().ne("").all()
    assert sorted(excluded["flstkennz"]) == sorted([kennz(2), kennz(50), kennz(51)])
    assert excluded.set_index("flstkennz").loc[kennz(2), "grund"] == "doppelt geliefert (gleiche Geometrie)"
    assert sorted(parcels["flstkennz"]) == sorted(raw["flurstueck"])
    m = re.search(r"Flurstücke: (\d+) eingelesen = (\d+) in Potenzialflächen \+ (\d+) ausgeschlossen", text)
    assert m and tuple(map(int, m.groups())) == (9, 6, 3)
    log = (out / "protokoll.txt").read_text(encoding="utf-8")
    assert "Probe: 9 = 6 + 3 stimmt" in log
    for kz in (kennz(50), kennz(51)):
        assert f"{kz}  Geometrie leer oder unbrauchbar" in log
    assert "1 doppelt gelieferte Flurstücke (gleiche Geometrie) entfernt" in log


@pytest.mark.slow
def test_accounting_sample(sample_config, tmp_path, capsys):
    """The sample district: the same identity on 1500 generated parcels."""
    import pandas as pd

    out = tmp_path / "out"
    assert main(["assess", str(sample_config), "--out", str(out), "-q", "--formats", "csv"]) == 0
    text = capsys.readouterr().out
    parcels = pd.read_csv(out / "flurstuecke.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    m = re.search(r"Flurstücke: (\d+) eingelesen = (\d+) in Potenzialflächen \+ (\d+) ausgeschlossen", text)
    n, c, e = map(int, m.groups())
    assert n == c + e == len(parcels)
    assert parcels.loc[parcels["status"] == "ausgeschlossen", "grund"].fillna("").ne("").all()
