"""The benchmark script runs end to end (``--smoke``), so it cannot rot. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "benchmark.py"


def test_benchmark_smoke(tmp_path, sample_config):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--out", str(tmp_path),
                           "--config", str(sample_config)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    result = json.loads((tmp_path / "benchmark.json").read_text(encoding="utf-8"))
    assert result["smoke"] is True
    (size,) = result["groessen"]
    assert "fehler" not in size
    times = size["zeiten_s"]
    expected = {"laden", "kandidaten", "bewertung", "export_gpkg", "export_csv"}
    expected |= {f"kriterium_{name}" for name in _criteria(sample_config)}
    assert expected <= set(times)
    assert all(v > 0 for v in times.values()), times
    assert size["io_boden_s"]["lesen"] > 0 and size["io_boden_s"]["schreiben_gpkg"] > 0
    assert size["ende_zu_ende_s"] > 0 and size["faktor_zum_io_boden"] > 0
    assert size["spitzen_speicher_mb"] > 0
    assert size["zonal"]["rasterstats_s"] > 0 and size["zonal"]["eigene_alle_s"] > 0
    md = (tmp_path / "benchmark.md").read_text(encoding="utf-8")
    assert "Faktor zum I/O-Boden" in md and "kandidaten" in md


def _criteria(config_path) -> list[str]:
    from nachverdichtung.config import load_config

    return list(load_config(config_path).criteria)
