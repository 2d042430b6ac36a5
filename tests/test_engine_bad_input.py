"""The bad-input corpus through ``--engine dask``: the same outcome as the single path, case by case."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

from .badinput_round2 import CASES
from .test_bad_input import base_district, run_case  # noqa: F401  (the session fixture)

pytestmark = [pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"), pytest.mark.slow]

ASSESSED = [c for c in CASES if c.command == "assess"]


@pytest.fixture()
def local_engine(monkeypatch):
    """``--engine dask`` on dask's synchronous scheduler (no cluster to start per case)."""
    import nachverdichtung.engine

    monkeypatch.setattr(nachverdichtung.engine, "start_client", lambda **kw: nullcontext("synchronous"))


@pytest.mark.parametrize("case", ASSESSED, ids=[c.id for c in ASSESSED])
def test_bad_input_through_the_dask_engine(case, base_district, tmp_path, capsys, local_engine):  # noqa: F811
    from dataclasses import replace

    args = (*(case.args or ("--formats", "csv")), "--engine", "dask", "--tile-size", "60")
    code, out, err, folder = run_case(replace(case, args=args), base_district, tmp_path, capsys)
    text = out + err
    assert "Traceback" not in text
    assert "Interner Fehler" not in text
    assert code == case.code or (code == 2 and "dask-Engine" in err), text
    if code == 2:
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
        return
    log = (folder / "protokoll.txt").read_text(encoding="utf-8")
    assert case.message in log
    if case.check:
        case.check(folder, out)


def test_parcels_without_id_far_apart_keep_their_own_ids(base_district, tmp_path, capsys, local_engine):  # noqa: F811
    """Two parcels without an id, 1.5 km apart (no window sees both): each keeps its own substitute id,
    the same on both paths (a count per window named both OHNE_KENNZ_000000)."""
    import shapely

    from .badinput_cases import Case, _parcels_with, _rewrite
    from .badinput_district import read_outputs
    from .districts import X0, Y0

    far = [shapely.box(X0 + dx, Y0 + 100, X0 + dx + 20, Y0 + 160) for dx in (700, 2200)]

    def mutate(d, cfg):
        _rewrite(d, "ax_flurstueck", _parcels_with(*((g, "") for g in far)))

    ids = {}
    for engine in ("single", "dask"):
        case = Case("ohne_kennz_fern", "", "", mutate, 0, "Ersatz-Kennzeichen",
                    args=("--formats", "csv", "--engine", engine, "--tile-size", "60"))
        code, out, err, folder = run_case(case, base_district, tmp_path / engine, capsys)
        assert code == 0, out + err
        parcels = read_outputs(folder)[1]
        ids[engine] = sorted(k for k in parcels["flstkennz"] if k.startswith("OHNE_KENNZ"))
        assert parcels["flstkennz"].is_unique
    assert ids["single"] == ids["dask"] == [f"OHNE_KENNZ_{X0 + 710:.0f}_{Y0 + 130:.0f}",
                                            f"OHNE_KENNZ_{X0 + 2210:.0f}_{Y0 + 130:.0f}"]


def test_one_id_far_apart_is_reported_by_the_dask_engine(base_district, tmp_path, capsys, local_engine):  # noqa: F811
    """Two different parcels with one id 1.5 km apart (no window sees both): the single path makes them
    unique; the dask engine cannot, and its run log says so by name instead of passing it on silently."""
    import shapely

    from .badinput_cases import Case, _parcels_with, _rewrite
    from .badinput_district import read_outputs
    from .districts import X0, Y0

    far = [shapely.box(X0 + dx, Y0 + 100, X0 + dx + 20, Y0 + 160) for dx in (700, 2200)]

    def mutate(d, cfg):
        _rewrite(d, "ax_flurstueck", _parcels_with(*((g, "072566010000990000__") for g in far)))

    found = {}
    for engine in ("single", "dask"):
        case = Case("kennz_fern_doppelt", "", "", mutate, 0, "", args=("--formats", "csv", "--engine", engine,
                                                                        "--tile-size", "60"))
        code, out, err, folder = run_case(case, base_district, tmp_path / engine, capsys)
        assert code == 0, out + err
        parcels = read_outputs(folder)[1]
        found[engine] = sorted(k for k in parcels["flstkennz"] if k.startswith("072566010000990000"))
        found[engine + "_log"] = (folder / "protokoll.txt").read_text(encoding="utf-8")
    assert found["single"] == ["072566010000990000__", "072566010000990000__#2"]
    assert found["dask"] == ["072566010000990000__"] * 2
    assert "1 Kennzeichen kommen in verschiedenen Partitionen mehrfach vor (072566010000990000__)" in found["dask_log"]
    assert "mehrfach vor" not in found["single_log"]
