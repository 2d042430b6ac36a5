"""The walkthrough notebook runs top to bottom on the sample district (so it cannot rot)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"


def test_notebook_is_stored_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_walkthrough_runs(sample_config, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    # A kernel spec that runs this interpreter (the venv's), whatever "python" is on PATH.
    spec = tmp_path / "jupyter" / "kernels" / "nachverdichtung-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nachverdichtung (test)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("NACHVERDICHTUNG_SAMPLE_DIR", str(Path(sample_config).parent))
    monkeypatch.setenv("NACHVERDICHTUNG_OUT_DIR", str(tmp_path / "ausgabe"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="nachverdichtung-test", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = {i: c.outputs for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    assert all(o.output_type != "error" for outs in outputs.values() for o in outs)
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                     for outs in outputs.values() for o in outs)
    assert "Potenzialflächen" in text and "Flurstücke" in text
    html = [o["data"]["text/html"] for outs in outputs.values() for o in outs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o.get("data", {})]
    maps = [h for h in html if h.startswith("<iframe srcdoc=")]  # the inline folium map
    assert len(maps) == 1 and "Fläche " in maps[0] and "#2b59c3" in maps[0]  # with the notebook's own layer
    assert any("<table" in h and "bedingt geeignet" in h for h in html)  # the Assessment's class table
    images = [o for outs in outputs.values() for o in outs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the histogram of one criterion's values
    scenarios = [h for h in html if "<table" in h and "streng" in h and "locker" in h and "Basis" in h]
    assert len(scenarios) == 1  # the scenario comparison
    assert (tmp_path / "ausgabe" / "karte.html").exists()
    assert any((tmp_path / "ausgabe").glob("*.gpkg"))
