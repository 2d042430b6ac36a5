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
