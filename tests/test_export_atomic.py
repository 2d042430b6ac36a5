"""Safe writing: a crash in the middle of an export leaves the previous outputs intact."""

from __future__ import annotations

import dataclasses
import hashlib

import pyogrio
import pytest

from nachverdichtung.export import write_outputs
from nachverdichtung.export import tables as tables_module

from .test_export_gis import four_class_assessment

FORMATS = ["gpkg", "shp", "csv", "xlsx"]


def _snapshot(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs():
    first = four_class_assessment()
    areas = first.areas.copy()
    areas["klasse"] = "nicht geeignet"
    return first, dataclasses.replace(first, areas=areas)


def test_failure_keeps_previous_outputs(runs, tmp_path, monkeypatch):
    first, second = runs
    out = tmp_path / "ergebnis"
    write_outputs(first, out, formats=FORMATS)
    (out / "notiz.txt").write_text("vom Planer", encoding="utf-8")
    before = _snapshot(out)
    assert "nachverdichtung.gpkg" in before and "shapefile/bewertung.shp" in before

    def broken(assessment, folder):
        (folder / "bewertung.csv").write_text("halb geschrieb", encoding="utf-8")
        raise RuntimeError("Festplatte voll")

    monkeypatch.setattr(tables_module, "write_csv", broken)
    # gpkg and shp are already written into the staging folder when csv fails
    with pytest.raises(RuntimeError, match="Festplatte voll"):
        write_outputs(second, out, formats=FORMATS)
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".nachverdichtung-")]
    back = pyogrio.read_dataframe(out / "nachverdichtung.gpkg", layer="bewertung")
    assert list(back["klasse"]) == list(first.areas["klasse"])


def test_rerun_replaces_outputs(runs, tmp_path):
    first, second = runs
    out = tmp_path / "ergebnis"
    write_outputs(first, out, formats=FORMATS)
    (out / "shapefile" / "alt.txt").write_text("Rest eines alten Laufs", encoding="utf-8")
    (out / "notiz.txt").write_text("vom Planer", encoding="utf-8")
    write_outputs(second, out, formats=FORMATS)
    for path in (out / "nachverdichtung.gpkg", out / "shapefile" / "bewertung.shp"):
        back = pyogrio.read_dataframe(path, layer="bewertung", read_geometry=False)
        assert set(back["klasse"]) == {"nicht geeignet"}
    assert not (out / "shapefile" / "alt.txt").exists()  # the shapefile folder is replaced as a whole
    assert (out / "notiz.txt").read_text(encoding="utf-8") == "vom Planer"  # other files are left alone
    assert not [p for p in out.iterdir() if p.name.startswith(".nachverdichtung-")]
