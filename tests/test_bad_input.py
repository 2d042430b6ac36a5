"""Bad input never crashes and nothing is lost: the corpus of tests/badinput_cases.py through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from .badinput_district import base_config, write_case_config, write_district
from .badinput_round2 import CASES
from nachverdichtung.cli import main

# rasterio.windows.transform still multiplies Affine objects with ``*`` (affine >= 2.4 warns);
# not ours to fix, and harmless for the results.
pytestmark = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")


@pytest.fixture(scope="session")
def base_district(tmp_path_factory) -> Path:
    """The small district, written once per session; cases work on copies."""
    folder = tmp_path_factory.mktemp("badinput") / "base"
    write_district(folder)
    return folder


def run_case(case, base: Path, tmp_path: Path, capsys) -> tuple[int, str, str, Path]:
    d = tmp_path / "d"
    shutil.copytree(base, d)
    cfg = base_config()
    case.mutate(d, cfg)
    config = d / "config.yml"
    write_case_config(config, cfg)
    out = case.out(d) if case.out else tmp_path / "out"
    args = [case.command, str(config), "-q"]
    if case.command == "assess":
        args += ["--out", str(out), *(case.args or ("--formats", "csv"))]
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, out


def test_corpus_is_big_enough():
    assert len(CASES) >= 85
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, base_district, tmp_path, capsys):
    code, out, err, folder = run_case(case, base_district, tmp_path, capsys)
    text = out + err
    assert "Traceback" not in text
    assert code == case.code, text
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1, err
        line = lines[0]
        assert line.startswith("Fehler: ")
        assert case.file in line
        assert case.message in line
        assert "Lösung: " in line
        return
    if case.command == "assess":
        log = (folder / "protokoll.txt").read_text(encoding="utf-8")
        assert case.message in log
        if case.message:
            assert "Hinweise zu den Eingangsdaten" in out
    else:
        assert case.message in out
    if case.check:
        case.check(folder, out)


def test_unknown_format_is_refused_before_any_work(base_district, tmp_path, capsys, monkeypatch):
    """``--formats foo`` is a configuration error (exit 2), found before the assessment runs."""
    import nachverdichtung.pipeline

    def must_not_run(*args, **kwargs):
        raise AssertionError("assess ran although the format is unknown")

    monkeypatch.setattr(nachverdichtung.pipeline, "assess", must_not_run)
    shutil.copytree(base_district, tmp_path / "d")
    config = tmp_path / "d" / "config.yml"
    config.write_text(yaml.safe_dump(base_config()), encoding="utf-8")
    code = main(["assess", str(config), "--out", str(tmp_path / "out"), "--formats", "gpkg,foo", "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines() == [err.strip()]
    assert "unbekanntes Ausgabeformat 'foo'" in err and "Lösung: " in err
    assert not (tmp_path / "out").exists()


def test_real_entry_point_refuses_billion_laughs(base_district, tmp_path):
    """The installed command (a new interpreter, default warning filters) gives the same one line."""
    import subprocess
    import sys

    from .badinput_cases import CASES as cases

    case = next(c for c in cases if c.id == "nas_billion_laughs")
    d = tmp_path / "d"
    shutil.copytree(base_district, d)
    cfg = base_config()
    case.mutate(d, cfg)
    write_case_config(d / "config.yml", cfg)
    proc = subprocess.run([sys.executable, "-m", "nachverdichtung", "assess", str(d / "config.yml"),
                           "--out", str(tmp_path / "out"), "-q"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "alkis.xml" in proc.stderr and "DOCTYPE-/ENTITY-Deklaration" in proc.stderr
    assert not (tmp_path / "out").exists()
