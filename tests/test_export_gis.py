"""GeoPackage and Shapefile exports: values read back equal the assessment, styles are complete."""

from __future__ import annotations

import dataclasses
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from nachverdichtung.config import config_from_dict
from nachverdichtung.export.fieldmap import CURATED, MAX_LEN, describe, short_names
from nachverdichtung.export.gis import GPKG_NAME, SHP_DIR, truncate_bytes, write_gpkg, write_shapefiles
from nachverdichtung.pipeline import assess

from .districts import X0, Y0, make_layers, street_row

CLASSES = ["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet", "geeignet", "bedingt geeignet"]
#: the colours the issue asks for, as QGIS "r,g,b,a" strings
EXPECTED_RGB = {"geeignet": (26, 150, 65), "bedingt geeignet": (242, 140, 40), "nicht geeignet": (215, 25, 28),
                "nicht bewertet": (158, 158, 158)}
LONG = "Größere Überflutungstiefe südlich der Straße; " * 8  # 46 chars, 49 bytes each → 392 bytes


def four_class_assessment():
    """A real assessment of six street-row parcels, with the classes set to all four values.

    Exporters only read the assessment, so overriding the rating columns is a fair input. One
    summary is longer than 254 bytes, one extra criterion-like column has no curated short name,
    one column is a date, and one parcel was excluded at validation (no geometry).
    """
    a = assess(config_from_dict({"alkis": {"path": "."}}), layers=make_layers(*street_row()))
    # six areas with every real column: the first area repeated on six 20 m × 40 m boxes, so the
    # test does not depend on how candidates merge
    boxes = [shapely.box(X0 + 20 * i, Y0 + 20, X0 + 20 * (i + 1), Y0 + 60) for i in range(6)]
    first = pd.DataFrame(a.areas.drop(columns=a.areas.geometry.name).iloc[[0] * 6])
    first.index = pd.Index([f"2566-1-{i + 1}-a" for i in range(6)], name="flaeche_id")
    areas = gpd.GeoDataFrame(first, geometry=boxes, crs=a.areas.crs)
    areas["flaeche_m2"] = 800.0
    areas["klasse"] = CLASSES
    areas.loc[areas.index[2], "zusammenfassung"] = LONG
    # a short real-looking summary that must survive unchanged (the "nicht bewertet" sentence of a
    # hand district lists every missing layer and grows with each criterion)
    areas.loc[areas.index[0], "zusammenfassung"] = "bedingt geeignet: Zufahrt nur 2,4 m breit; kein Vorbild in zweiter Reihe"
    areas["starkregen_wassertiefe_max_m"] = np.array([0.0, 0.12, 0.55, np.nan, 0.01, 0.3])
    areas["geprueft_am"] = pd.to_datetime(["2026-11-20"] * 6)
    extra = gpd.GeoDataFrame({"flstkennz": ["072566001000990000__"], "status": ["ausgeschlossen"],
                              "grund": ["ungültige Geometrie, nicht reparierbar"], "flaeche_ids": [""]},
                             geometry=gpd.GeoSeries([None], crs=a.parcels.crs), crs=a.parcels.crs)
    parcels = pd.concat([a.parcels, extra], ignore_index=True)
    return dataclasses.replace(a, areas=areas, parcels=parcels)


@pytest.fixture(scope="module")
def assessment():
    return four_class_assessment()


@pytest.fixture(scope="module")
def written(assessment, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gis")
    write_gpkg(assessment, folder)
    write_shapefiles(assessment, folder)
    return folder


def _rgb(text: str) -> tuple[int, int, int]:
    return tuple(int(v) for v in text.split(",")[:3])


def check_class_renderer(qml_text: str, attr: str, label_field: str) -> None:
    """The QML parses, is categorized on ``attr`` with the four classes in their colours, and labels."""
    root = ET.fromstring(qml_text.split("\n", 1)[1])  # skip the DOCTYPE line
    r = root.find("renderer-v2")
    assert r.get("type") == "categorizedSymbol" and r.get("attr") == attr
    cats = {c.get("value"): c.get("symbol") for c in r.find("categories")}
    assert list(cats) == list(EXPECTED_RGB)
    symbols = {s.get("name"): s for s in r.find("symbols")}
    for value, sym in cats.items():
        layer = symbols[sym].find("layer")
        assert layer.get("class") == "SimpleFill"
        colour = layer.find("Option/Option[@name='color']").get("value")
        assert _rgb(colour) == EXPECTED_RGB[value]
        assert _rgb(layer.find("prop[@k='color']").get("v")) == EXPECTED_RGB[value]
    assert root.get("labelsEnabled") == "1"
    assert root.find("labeling/settings/text-style").get("fieldName") == label_field


# -- GeoPackage ------------------------------------------------------------------------------------

def test_gpkg_layers(written):
    layers = dict(pyogrio.list_layers(written / GPKG_NAME))
    assert {"bewertung", "flurstuecke", "vorderzonen", "layer_styles"} <= set(layers)
    assert layers["layer_styles"] is None  # registered as an attribute table


def test_gpkg_areas_round_trip(assessment, written):
    back = pyogrio.read_dataframe(written / GPKG_NAME, layer="bewertung").set_index("flaeche_id")
    areas = assessment.areas
    assert list(back.index) == list(areas.index)
    assert list(back["klasse"]) == CLASSES
    for col in areas.columns.drop(areas.geometry.name):
        if pd.api.types.is_numeric_dtype(areas[col]) and not pd.api.types.is_bool_dtype(areas[col]):
            np.testing.assert_allclose(back[col].to_numpy(float), areas[col].to_numpy(float), rtol=1e-9, err_msg=col)
        elif pd.api.types.is_datetime64_any_dtype(areas[col]):
            assert (pd.to_datetime(back[col]).dt.date == areas[col].dt.date).all()
        else:
            assert list(back[col].astype(object)) == list(areas[col].astype(object)), col
    assert back.loc[areas.index[2], "zusammenfassung"] == LONG  # full text in the GeoPackage
    np.testing.assert_allclose(back.geometry.area, areas.geometry.area)
    assert back.crs == areas.crs


def test_gpkg_parcels_keep_excluded_rows(assessment, written):
    back = pyogrio.read_dataframe(written / GPKG_NAME, layer="flurstuecke")
    assert len(back) == len(assessment.parcels) == 7
    last = back.iloc[-1]
    assert last["flstkennz"] == "072566001000990000__" and last.geometry is None
    assert last["grund"] == "ungültige Geometrie, nicht reparierbar"
    assert list(back["status"]) == list(assessment.parcels["status"])
    np.testing.assert_allclose(back.geometry.area[:6], assessment.parcels.geometry.area[:6])


def test_gpkg_vorderzonen_carry_building_line(assessment, written):
    back = pyogrio.read_dataframe(written / GPKG_NAME, layer="vorderzonen")
    streets = assessment.candidates.streets
    assert len(back) == len(streets) == 1
    assert back["baulinie_m"].iloc[0] == pytest.approx(streets["baulinie_m"].iloc[0])
    assert back.geometry.area.iloc[0] == pytest.approx(shapely.area(streets["vorderzone"].iloc[0]))


def test_gpkg_layer_styles(written):
    with sqlite3.connect(written / GPKG_NAME) as con:
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault "
                           "FROM layer_styles").fetchall()
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    con.close()
    defaults = {r[0]: r for r in rows if r[5] == 1}
    assert set(defaults) == {"bewertung", "flurstuecke", "vorderzonen", "innenbereich"}  # one default per layer
    assert sum(1 for r in rows if r[0] == "bewertung" and r[5] == 1) == 1
    table, geom_col, _, q, s, _ = defaults["bewertung"]
    assert geom_col == geom["bewertung"]
    check_class_renderer(q, "klasse", "flaeche_id")
    # the SLD names the same four values and colours
    ns = {"ogc": "http://www.opengis.net/ogc", "se": "http://www.opengis.net/se"}
    sld = ET.fromstring(s.split("\n", 1)[1])
    rules = sld.findall(".//se:Rule", ns)
    literals = [r.find(".//ogc:Literal", ns).text for r in rules if r.find(".//ogc:Literal", ns) is not None]
    assert literals == list(EXPECTED_RGB)
    fills = [r.find(".//se:Fill/se:SvgParameter[@name='fill']", ns).text for r in rules[:4]]
    assert fills == ["#1a9641", "#f28c28", "#d7191c", "#9e9e9e"]
    # one extra (non-default) style per criterion class column
    alternatives = {r[2]: r[3] for r in rows if r[0] == "bewertung" and r[5] == 0}
    assert "Topographie" in alternatives
    check_class_renderer(alternatives["Topographie"], "topographie_klasse", "flaeche_id")
    parcel = ET.fromstring(defaults["flurstuecke"][3].split("\n", 1)[1]).find("renderer-v2")
    assert parcel.get("attr") == "status"
    assert [c.get("value") for c in parcel.find("categories")] == ["Kandidat", "ausgeschlossen"]


# -- Shapefile -------------------------------------------------------------------------------------

def test_shapefile_round_trip_with_field_map(assessment, written):
    folder = written / SHP_DIR
    fm = pd.read_csv(folder / "feldnamen.csv", sep=";", encoding="utf-8-sig")
    assert list(fm.columns) == ["ebene", "kurzname", "spalte", "beschreibung"]
    long_of = dict(zip(fm["kurzname"], fm["spalte"]))
    back = pyogrio.read_dataframe(folder / "bewertung.shp")
    assert all(len(c) <= MAX_LEN for c in back.columns)
    back = back.rename(columns=long_of).set_index("flaeche_id")
    areas = assessment.areas
    assert list(back.index) == list(areas.index)
    assert list(back["klasse"]) == CLASSES
    for col in areas.columns.drop(areas.geometry.name):
        if pd.api.types.is_numeric_dtype(areas[col]) and not pd.api.types.is_bool_dtype(areas[col]):
            np.testing.assert_allclose(back[col].to_numpy(float), areas[col].to_numpy(float), rtol=1e-9, err_msg=col)
    assert list(back["geprueft_am"]) == ["2026-11-20T00:00:00"] * 6  # dates as ISO text
    assert list(back["topographie_grund"]) == list(areas["topographie_grund"])
    cut = back.loc[areas.index[2], "zusammenfassung"]
    assert len(cut.encode("utf-8")) <= 254 and cut.endswith("…") and LONG.startswith(cut[:-1])
    assert back.loc[areas.index[0], "zusammenfassung"] == areas["zusammenfassung"].iloc[0]
    np.testing.assert_allclose(back.geometry.area, areas.geometry.area)
    assert back.crs == areas.crs
    assert (folder / "bewertung.cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    assert (folder / "bewertung.prj").read_text().startswith("PROJCS")


def test_shapefile_parcels(assessment, written):
    back = pyogrio.read_dataframe(written / SHP_DIR / "flurstuecke.shp")
    assert len(back) == 7 and back.geometry.iloc[-1] is None
    assert list(back["flaech_ids"][:6]) == list(assessment.parcels["flaeche_ids"][:6])
    assert back["nenner"].dtype == float  # nullable ints come back as float (documented)


def test_shapefile_qml_uses_short_names(written):
    folder = written / SHP_DIR
    check_class_renderer((folder / "bewertung.qml").read_text(encoding="utf-8"), "klasse", "flaeche_id")
    parcel = ET.fromstring((folder / "flurstuecke.qml").read_text(encoding="utf-8").split("\n", 1)[1])
    assert parcel.find("renderer-v2").get("attr") == "status"


# -- field map and truncation ----------------------------------------------------------------------

def test_short_names_unique_and_short():
    cols = [*CURATED, "starkregen_wassertiefe_max_m", "starkregen_wassertiefe_mittel_m", "baeume_neu_anzahl",
            "a_very_long_unknown_column_name", "Ünterschied mit Umlaut", "1abc"]
    names = short_names(cols)
    assert all(0 < len(n) <= MAX_LEN for n in names.values())
    assert len({n.lower() for n in names.values()}) == len(cols)
    assert names == short_names(cols)  # deterministic
    assert names["topographie_neigung_mittel_pct"] == "topo_mpct"
    assert names["starkregen_wassertiefe_max_m"] == "regen_wtma"
    assert names["starkregen_wassertiefe_mittel_m"] == "regen_wtmm"
    assert names["baeume_neu_anzahl"] == "baum_neun"
    assert names["1abc"] == "f1abc" and names["Ünterschied mit Umlaut"].isascii()


def test_short_name_collisions_get_suffix():
    names = short_names(["starkregen_tiefe_max_m", "starkregen_tiefe_max_mm", "topo_kl", "topographie_klasse"])
    # the curated name wins; the generic one that collides gets a suffix
    assert names["topographie_klasse"] == "topo_kl"
    assert names["topo_kl"] == "topo_kl_2"
    assert len(set(names.values())) == 4


def test_describe_generic():
    assert describe("baeume_klasse", {"baeume": "Bäume"}) == "Bäume: Klasse"
    assert describe("starkregen_wassertiefe_max_m", {"starkregen": "Starkregen"}) == \
        "Starkregen: wassertiefe max in m"


def test_truncate_bytes():
    s = pd.Series(["kurz", "ä" * 200, None, "x" * 254, "x" * 255])
    out = truncate_bytes(s)
    assert out[0] == "kurz" and pd.isna(out[2]) and out[3] == "x" * 254
    assert out[1] == "ä" * 125 + "…"  # (254 - 3) // 2 = 125 two-byte characters, never half of one
    assert len(out[1].encode()) == 253
    assert out[4] == "x" * 251 + "…" and len(out[4].encode()) == 254


@pytest.mark.slow
def test_sample_exports_round_trip(sample_assessment, tmp_path):
    """The sample district: every output reads back with the assessment's ids, classes and numbers."""
    from nachverdichtung.export.tables import write_csv

    a = sample_assessment
    write_gpkg(a, tmp_path)
    write_shapefiles(a, tmp_path)
    write_csv(a, tmp_path)
    areas = a.areas
    numeric = [c for c in areas.columns if pd.api.types.is_float_dtype(areas[c])]
    # every column of today's criteria has a curated short name (no generic fallback needed)
    assert set(areas.columns.drop(areas.geometry.name)) <= set(CURATED)
    fm = pd.read_csv(tmp_path / SHP_DIR / "feldnamen.csv", sep=";", encoding="utf-8-sig")
    gpkg = pyogrio.read_dataframe(tmp_path / GPKG_NAME, layer="bewertung").set_index("flaeche_id")
    shp = pyogrio.read_dataframe(tmp_path / SHP_DIR / "bewertung.shp").rename(
        columns=dict(zip(fm["kurzname"], fm["spalte"]))).set_index("flaeche_id")
    csv = pd.read_csv(tmp_path / "bewertung.csv", sep=";", decimal=",", encoding="utf-8-sig").set_index("flaeche_id")
    for back in (gpkg, shp, csv):
        assert list(back.index) == list(areas.index)
        assert list(back["klasse"]) == list(areas["klasse"])
        np.testing.assert_allclose(back[numeric].to_numpy(float), areas[numeric].to_numpy(float), rtol=1e-9)
    for col in [c for c in areas.columns if c.endswith("_grund")] + ["zusammenfassung"]:
        assert list(gpkg[col]) == list(areas[col]) == list(csv[col].fillna(""))
        assert (shp[col].fillna("").str.encode("utf-8").str.len() <= 254).all()
    np.testing.assert_allclose(gpkg.geometry.area, areas.geometry.area)
    np.testing.assert_allclose(shp.geometry.area, areas.geometry.area)
    parcels = pyogrio.read_dataframe(tmp_path / GPKG_NAME, layer="flurstuecke")
    assert len(parcels) == len(a.parcels)
    assert list(parcels["status"]) == list(a.parcels["status"])
