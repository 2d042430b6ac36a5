"""Safe outputs: a failure during export leaves the previous outputs intact; raw inputs are never modified."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .badinput_district import write_district
from nachverdichtung.cli import main
from nachverdichtung.export.guard import LOCK_NAME

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` (hidden staging folders included)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def district(tmp_path):
    return write_district(tmp_path / "d")


def test_raw_inputs_unchanged(district, tmp_path, capsys):
    before = tree_hashes(district.parent)
    mtimes = {p: p.stat().st_mtime_ns for p in district.parent.rglob("*") if p.is_file()}
    assert main(["assess", str(district), "--out", str(tmp_path / "out"), "-q",
                 "--formats", "gpkg,csv,shp,xlsx"]) == 0
    assert tree_hashes(district.parent) == before
    assert {p: p.stat().st_mtime_ns for p in district.parent.rglob("*") if p.is_file()} == mtimes


def test_failed_export_keeps_previous_outputs(district, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert main(["assess", str(district), "--out", str(out), "-q", "--formats", "gpkg,csv"]) == 0
    before = tree_hashes(out)
    assert "bewertung.csv" in before and "protokoll.txt" in before

    import nachverdichtung.export.tables as tables

    def broken_csv(assessment, folder):
        (Path(folder) / "bewertung.csv").write_text("flaeche_id;kla", encoding="utf-8")  # half written
        raise OSError("Datenträger voll (simuliert)")

    monkeypatch.setattr(tables, "write_csv", broken_csv)
    code = main(["assess", str(district), "--out", str(out), "-q", "--formats", "gpkg,csv"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert tree_hashes(out) == before  # gpkg of the failed run was not moved in either
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


KILLER = """
import os, signal, sys
from pathlib import Path
import nachverdichtung.export.tables as tables

def dying_csv(assessment, folder):
    (Path(folder) / "bewertung.csv").write_text("flaeche_id;kla", encoding="utf-8")
    os.kill(os.getpid(), signal.SIGKILL)

tables.write_csv = dying_csv
from nachverdichtung.cli import main
from nachverdichtung.export.guard import LOCK_NAME
sys.exit(main(sys.argv[1:]))
"""


def test_killed_during_export_keeps_previous_outputs(district, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["assess", str(district), "--out", str(out), "-q", "--formats", "gpkg,csv"]) == 0
    before = tree_hashes(out)
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", KILLER, "assess", str(district), "--out", str(out),
                           "-q", "--formats", "gpkg,csv"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    after = tree_hashes(out)
    # the final files are byte-identical; only the hidden staging folder of the killed run remains
    assert {k: v for k, v in after.items() if not k.startswith(".")} == before
    leftovers = {k.split(os.sep)[0] for k in after if k.startswith(".")}
    assert all(name.startswith(".nachverdichtung-") or name == LOCK_NAME for name in leftovers)
    # a re-run takes the killed run's lock over, removes its staging folder and writes complete outputs
    assert main(["assess", str(district), "--out", str(out), "-q", "--formats", "gpkg,csv"]) == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
