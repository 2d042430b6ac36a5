"""Runs that are stopped, doubled or short of room (issue #22).

Each case ends in a correct result or one clear line, and the output folder holds either the previous
complete outputs or the new complete ones, never a mix; staging folders and the lock are gone.
Signals are sent by the run to itself at a chosen stage (a hook patched in before ``main``), so the
stage is hit exactly, not by timing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .badinput_district import write_district
from nachverdichtung.cli import main
from nachverdichtung.export.guard import LOCK_NAME, output_lock

pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")

FORMATS = ["--formats", "gpkg,csv,shp"]


def outputs(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def district(tmp_path):
    return write_district(tmp_path / "d")


@pytest.fixture
def previous(district, tmp_path):
    """An output folder holding a complete earlier run."""
    out = tmp_path / "out"
    assert main(["assess", str(district), "--out", str(out), "-q", *FORMATS]) == 0
    return out


def assert_clean(out: Path) -> None:
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


# Each hook replaces one stage function by a wrapper that signals the process and then goes on.
HOOKS = {
    "laden": ("nachverdichtung.pipeline", "load_layers"),
    "kriterien": ("nachverdichtung.pipeline", "evaluate_criteria"),
    "ausgabe": ("nachverdichtung.export.tables", "write_csv"),
}
SCRIPT = """
import importlib, os, signal, sys
module, name, signum = sys.argv[1], sys.argv[2], int(sys.argv[3])
if module == "os":
    import nachverdichtung.export as export
    real = os.replace
    calls = []
    def replace(src, dst):
        if ".vorheriger-lauf" in str(dst):  # moving the finished outputs into place has begun
            calls.append(src)
            if len(calls) == 2:
                os.kill(os.getpid(), signum)
        return real(src, dst)
    os.replace = replace
else:
    mod = importlib.import_module(module)
    real = getattr(mod, name)
    def hooked(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return real(*args, **kwargs)
    setattr(mod, name, hooked)
from nachverdichtung.cli import main
sys.exit(main(sys.argv[4:]))
"""


def run_hooked(module: str, name: str, signum: int, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", SCRIPT, module, name, str(int(signum)), *args],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("stage", list(HOOKS))
def test_signal_keeps_previous_outputs(stage, signum, code, district, previous):
    before = outputs(previous)
    proc = run_hooked(*HOOKS[stage], signum, "assess", str(district), "--out", str(previous), "-q", *FORMATS)
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Abgebrochen"), proc.stderr
    assert outputs(previous) == before
    assert_clean(previous)
    assert main(["assess", str(district), "--out", str(previous), "-q", *FORMATS]) == 0  # a re-run works


def test_signal_while_moving_outputs_waits_for_the_move(district, previous):
    """A signal during the final move is held back: the folder then holds the new run, complete."""
    newest_before = max(p.stat().st_mtime for p in previous.rglob("*"))
    proc = run_hooked("os", "replace", signal.SIGTERM, "assess", str(district), "--out", str(previous), "-q",
                      *FORMATS)
    assert proc.returncode == 143, proc.stderr
    assert_clean(previous)
    tops = [p for p in previous.iterdir()]
    assert {p.name for p in tops} >= {"nachverdichtung.gpkg", "bewertung.csv", "shapefile", "protokoll.txt"}
    assert all(p.stat().st_mtime > newest_before for p in tops), proc.stderr  # every output is the new run's


def test_second_run_into_a_busy_folder_exits_2(district, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        code = main(["assess", str(district), "--out", str(out), "-q", *FORMATS])
        err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "schreibt gerade in diesen Ordner" in err and f"PID {os.getpid()}" in err
    assert [p.name for p in out.iterdir()] == []  # nothing written, the lock released


def test_two_real_processes(district, tmp_path):
    """Two commands started together: one writes, the other waits for nothing and says why."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-W", "ignore", "-m", "nachverdichtung", "assess", str(district), "--out", str(out),
           "-q", *FORMATS]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / LOCK_NAME).exists() and first.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    first.communicate(timeout=300)
    assert first.returncode == 0
    if second.returncode == 2:  # it came while the first held the lock
        assert "schreibt gerade in diesen Ordner" in second.stderr
    else:  # the first was already done: then the second simply ran
        assert second.returncode == 0
    assert_clean(out)
    assert (out / "nachverdichtung.gpkg").exists()


def _raise(err: int, filename: str):
    def writer(assessment, folder):
        (Path(folder) / "bewertung.csv").write_text("flaeche_id;kla", encoding="utf-8")
        raise OSError(err, os.strerror(err), filename)
    return writer


@pytest.mark.parametrize("err, message", [(errno.ENOSPC, "kein Platz mehr auf dem Datenträger"),
                                          (errno.EDQUOT, "Speicherkontingent"),
                                          (errno.EROFS, "schreibgeschützt")])
def test_environment_errors_while_writing(err, message, district, previous, capsys, monkeypatch):
    before = outputs(previous)
    import nachverdichtung.export.tables as tables

    monkeypatch.setattr(tables, "write_csv", _raise(err, str(previous / "bewertung.csv")))
    code = main(["assess", str(district), "--out", str(previous), "-q", *FORMATS])
    err_text = capsys.readouterr().err.strip()
    assert code == 2 and err_text.count("\n") == 0, err_text
    assert message in err_text and "bewertung.csv" in err_text and "Lösung:" in err_text
    assert outputs(previous) == before
    assert_clean(previous)


def test_read_only_folder_refused_before_work(district, tmp_path, capsys, monkeypatch):
    """As root chmod does not bite, so the probe write gets the error a read-only share gives."""
    import nachverdichtung.export.guard as guard

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out"))

    monkeypatch.setattr(guard.tempfile, "mkstemp", read_only)
    started = []
    monkeypatch.setattr("nachverdichtung.pipeline.load_layers", lambda *a, **k: started.append(1))
    code = main(["assess", str(district), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert "keine Schreibrechte" in err and "Lösung:" in err
    assert not started  # refused before any work


def test_locked_file_while_moving_rolls_back(district, previous, capsys, monkeypatch):
    """An output open in another program (Windows refuses to replace it): the previous outputs come back."""
    before = outputs(previous)
    real = os.replace
    calls = []

    def replace(src, dst):  # the GeoPackage is open in QGIS: moving the new one over it fails once
        calls.append(dst)
        if Path(dst).name == "nachverdichtung.gpkg" and ".nachverdichtung-" in str(src) and len(calls) < 20:
            calls.extend([None] * 20)
            raise PermissionError(errno.EBUSY, "Device or resource busy", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    code = main(["assess", str(district), "--out", str(previous), "-q", *FORMATS])
    err = capsys.readouterr().err.strip()
    monkeypatch.setattr(os, "replace", real)
    assert code == 2 and err.count("\n") == 0, err
    assert "geöffnet oder gesperrt" in err and "nachverdichtung.gpkg" in err
    assert len(calls) > 20  # three outputs had been moved before the failure, then put back
    assert outputs(previous) == before
    assert_clean(previous)
