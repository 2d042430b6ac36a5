"""The reader contract (issue #18): every reader returns a frozen Read; bad input is an InputError, a
bug inside a reader stays a bug; no problems in ``GeoDataFrame.attrs`` (function lengths: test_architecture)."""

from __future__ import annotations

import ast
import dataclasses
import zipfile
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from nachverdichtung.errors import InputError
from nachverdichtung.io import dxf, tables, vector
from nachverdichtung.io.contract import Read
from nachverdichtung.io.raster import read_raster
from nachverdichtung.io.tables import read_points_table, read_table
from nachverdichtung.io.vector import read_vector

PACKAGE = Path(__file__).resolve().parents[1] / "nachverdichtung"
CRS = "EPSG:25832"


def _gpkg(tmp_path: Path, crs: str = CRS) -> Path:
    path = tmp_path / "f.gpkg"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(410_000, 5_478_000, 410_010, 5_478_010)],
                     crs=CRS).to_crs(crs).to_file(path)
    return path


def test_read_vector_returns_a_frozen_read_with_its_repairs(tmp_path):
    read = read_vector(_gpkg(tmp_path, "EPSG:4326"), what="Innenbereich")
    assert isinstance(read, Read)
    assert read.frame.crs == CRS and read.frame.attrs == {}
    assert read.problems == ("f.gpkg: Innenbereich: von EPSG:4326 nach EPSG:25832 umprojiziert",)
    assert read.source["file"].endswith("f.gpkg") and read.source["crs"] == "EPSG:4326"
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.problems = ()


def test_points_table_source_names_the_columns_used(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Rechtswert;Hochwert;Art\n410000,5;5478000;Linde\n;5478000;Eiche\n", encoding="utf-8")
    read = read_points_table(path, fields={}, crs=CRS, what="Baumkataster")
    assert len(read.frame) == 1 and read.frame.geometry.iloc[0].x == 410000.5
    assert read.source["columns"] == {"x": "Rechtswert", "y": "Hochwert"}
    assert read.problems == ("b.csv: Baumkataster: 1 Zeilen ohne gültige Koordinaten verworfen",)


def test_raster_reader_returns_its_problems(tmp_path):
    path = tmp_path / "d.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="int16", crs=CRS,
                       transform=from_origin(410_000, 5_478_040, 10, 10)) as ds:
        ds.write(np.full((1, 4, 4), 200, dtype="int16"))
    read = read_raster(path, name="Geländemodell", role="dem")
    assert read.frame.path == path and read.source["file"] == str(path)
    assert read.problems == ("d.tif: Geländemodell hat keinen NoData-Wert; alle Zellen gelten als gültig",
                             "d.tif: Geländemodell ist ein Ganzzahl-Raster (int16); Werte sind auf ganze "
                             "Einheiten gerundet, Neigungen daraus sind ungenauer")


# --- bad input is an InputError, a bug is a bug -------------------------------------------------

def test_a_bug_inside_the_vector_reader_is_not_called_bad_input(tmp_path, monkeypatch):
    path = _gpkg(tmp_path)

    def broken(*args, **kwargs):
        raise TypeError("a bug in our own code")

    monkeypatch.setattr(pyogrio, "read_dataframe", broken)
    with pytest.raises(TypeError, match="a bug in our own code"):
        read_vector(path)
    monkeypatch.setattr(pyogrio, "list_layers", broken)
    with pytest.raises(TypeError):
        vector.list_layers(path)


def test_a_broken_vector_file_is_still_bad_input(tmp_path):
    path = tmp_path / "kaputt.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": ', encoding="utf-8")
    with pytest.raises(InputError, match="kaputt.geojson.*kann nicht gelesen werden"):
        read_vector(path, what="Schutzgebiete")


def test_a_bug_inside_the_dxf_reader_is_not_called_bad_input(tmp_path, monkeypatch):
    doc = ezdxf.new()
    doc.modelspace().add_lwpolyline([(0, 0), (10, 0), (10, 10), (0, 0)], close=True,
                                    dxfattribs={"layer": "Flurstücke"})
    doc.saveas(tmp_path / "a.dxf")

    def broken(*args, **kwargs):
        raise TypeError("a bug in our own code")

    for name in ("extract", "open_document", "count_entities"):
        with monkeypatch.context() as m:
            m.setattr(dxf, name, broken)
            with pytest.raises(TypeError, match="a bug in our own code"):
                if name == "count_entities":
                    dxf.list_dxf_layers(tmp_path / "a.dxf")
                else:
                    dxf.read_alkis_dxf(tmp_path / "a.dxf", crs=CRS)


def test_a_bug_inside_the_xlsx_reader_is_not_called_bad_input(tmp_path, monkeypatch):
    path = tmp_path / "b.xlsx"
    pd.DataFrame({"x": [1], "y": [2]}).to_excel(path, index=False)

    def broken(*args, **kwargs):
        raise TypeError("a bug in our own code")

    monkeypatch.setattr(tables.pd, "read_excel", broken)
    with pytest.raises(TypeError, match="a bug in our own code"):
        read_table(path, what="Baumkataster", fix_key="inputs.trees")


def _broken_xlsx(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.xlsx"
    if kind == "keinzip":
        path.write_bytes(b"Baumnummer;Art\n1;Linde\n")
        return path
    good = tmp_path / "gut.xlsx"
    pd.DataFrame({"x": [1]}).to_excel(good, index=False)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if kind == "ohnemappe" and item.filename == "[Content_Types].xml":
                continue
            if kind == "xmlkaputt" and item.filename == "xl/workbook.xml":
                data = data[:50]
            zout.writestr(item, data)
    return path


@pytest.mark.parametrize("kind", ["keinzip", "ohnemappe", "xmlkaputt"])
def test_broken_xlsx_files_are_one_line_input_errors(tmp_path, kind):
    path = _broken_xlsx(tmp_path, kind)
    with pytest.raises(InputError, match=f"{kind}.xlsx.*XLSX-Datei kann nicht gelesen werden") as info:
        read_table(path, what="Baumkataster", fix_key="inputs.trees")
    assert "\n" not in str(info.value)


# --- the package's shape ------------------------------------------------------------------------

def _sources(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_no_problems_travel_in_geodataframe_attrs():
    """Problems are returned in the Read; ``GeoDataFrame.attrs`` (experimental, lost by concat) is unused."""
    uses = [f"{path.relative_to(PACKAGE)}:{node.lineno}" for path, tree in _sources(PACKAGE)
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "attrs"
            and not (isinstance(node.value, ast.Name) and node.value.id == "row")]  # DXF block attributes
    assert uses == []


def test_no_broad_except_reraises_as_an_input_error():
    """A handler for ``Exception`` that raises would turn the package's own bugs into 'bad input'."""
    found = []
    for path, tree in _sources(PACKAGE):
        for node in ast.walk(tree):
            if not isinstance(node, ast.ExceptHandler):
                continue
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            broad = node.type is None or any(isinstance(t, ast.Name) and t.id in ("Exception", "BaseException")
                                             for t in types)
            if broad and any(isinstance(n, ast.Raise) and n.exc is not None for n in ast.walk(node)):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []
