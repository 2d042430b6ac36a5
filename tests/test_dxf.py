"""DXF reader and writer: round trip, geometry semantics, encodings, texts, CRS checks."""

from __future__ import annotations

import math

import ezdxf
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from nachverdichtung.errors import ConfigError, CRSError, InputError
from nachverdichtung.io.dxf import (
    check_crs,
    list_dxf_layers,
    parse_parcel_text,
    write_alkis_dxf,
)

from .dxf_helpers import read_alkis_dxf

X0, Y0 = 400_000.0, 5_500_000.0
CRS = "EPSG:25832"


def _kennz(z, n=None, gem="072566", flur=1, folge="__"):
    return f"{gem}{flur:03d}{z:05d}" + ("____" if n is None else f"{n:04d}") + folge


@pytest.fixture
def district():
    """Five parcels (one with a hole holding a sixth, one L-shaped), 3 building kinds."""
    box = shapely.box
    outer = box(X0, Y0, X0 + 40, Y0 + 40)
    hole = box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20)
    lshape = shapely.Polygon([(X0 + 40, Y0), (X0 + 70, Y0), (X0 + 70, Y0 + 10),
                              (X0 + 50, Y0 + 10), (X0 + 50, Y0 + 40), (X0 + 40, Y0 + 40)])
    geoms = [outer.difference(hole), hole, lshape, box(X0 + 50, Y0 + 10, X0 + 70, Y0 + 40),
             box(X0, Y0 + 40, X0 + 35, Y0 + 70), box(X0 + 35, Y0 + 40, X0 + 70, Y0 + 70)]
    nums = [(1, None, 1), (1, 2, 1), (2, None, 1), (3, 1, 1), (17, 5, 2), (18, None, 2)]
    parcels = gpd.GeoDataFrame({
        "flstkennz": [_kennz(z, n, flur=f) for z, n, f in nums],
        "gemarkung": "2566", "flur": [f for *_, f in nums],
        "zaehler": [z for z, _, _ in nums],
        "nenner": pd.array([n for _, n, _ in nums], dtype="Int64"),
        "flaeche_amtlich": np.nan}, geometry=geoms, crs=CRS)
    buildings = gpd.GeoDataFrame({
        "funktion": [1000, 2463, 2000, 1010], "geschosse": pd.array([2, 1, 1, pd.NA], "Int64"),
        "kategorie": ["haupt", "neben", "gewerbe", "haupt"]},
        geometry=[box(X0 + 25, Y0 + 25, X0 + 35, Y0 + 35), box(X0 + 42, Y0 + 30, X0 + 48, Y0 + 36),
                  box(X0 + 55, Y0 + 15, X0 + 65, Y0 + 35), box(X0 + 5, Y0 + 50, X0 + 15, Y0 + 62)],
        crs=CRS)
    roads = gpd.GeoDataFrame({"art": ["strassenverkehr", "weg"], "name": ["Hauptstraße", ""]},
                             geometry=[box(X0, Y0 - 10, X0 + 70, Y0), box(X0 + 70, Y0, X0 + 74, Y0 + 70)],
                             crs=CRS)
    landuse = gpd.GeoDataFrame({"nutzung": ["wohnbau", "gewerbe"]},
                               geometry=[box(X0, Y0, X0 + 40, Y0 + 70), box(X0 + 40, Y0, X0 + 70, Y0 + 70)],
                               crs=CRS)
    return {"parcels": parcels, "buildings": buildings, "roads": roads, "landuse": landuse}


@pytest.fixture
def written(district, tmp_path):
    path = tmp_path / "alkis.dxf"
    write_alkis_dxf(path, **district)
    return path


def _by_kennz(frame):
    return frame.set_index("flstkennz").sort_index()


@pytest.mark.parametrize("reader", ["ezdxf", "gdal"])
def test_round_trip(district, written, reader):
    got = read_alkis_dxf(written, crs=CRS, reader=reader)
    assert set(got) == {"parcels", "buildings", "roads", "landuse"}
    exp, res = _by_kennz(district["parcels"]), _by_kennz(got["parcels"])
    assert list(res.index) == list(exp.index)
    np.testing.assert_allclose(res.area, exp.area, atol=0.01)
    assert res.loc[_kennz(1), "geometry"].interiors[0].length == pytest.approx(40)
    assert res["zaehler"].tolist() == exp["zaehler"].tolist()
    assert res["nenner"].tolist() == exp["nenner"].tolist()
    assert res["flur"].tolist() == [1, 1, 1, 1, 2, 2]
    assert set(res["gemarkung"]) == {"2566"}
    assert got.problems == []
    assert got["parcels"].crs == CRS
    b = got["buildings"].sort_values("funktion")
    assert b["kategorie"].tolist() == ["haupt", "haupt", "gewerbe", "neben"]
    assert b["funktion"].tolist() == [1000, 1000, 2000, 2463]
    assert b.area.sum() == pytest.approx(district["buildings"].area.sum(), abs=0.01)
    assert sorted(got["roads"]["art"]) == ["strassenverkehr", "weg"]
    assert sorted(got["roads"]["name"]) == ["", "Hauptstraße"]  # name text inside the road
    # the road layers are traffic land use as well
    assert sorted(got["landuse"]["nutzung"]) == ["gewerbe", "verkehr", "verkehr", "wohnbau"]
    assert list(got["parcels"].columns) == ["flstkennz", "gemarkung", "flur", "zaehler",
                                            "nenner", "flaeche_amtlich", "geometry"]


def test_layers_listed_with_umlauts(written):
    layers = list_dxf_layers(written)
    assert list(layers.columns) == ["layer", "entity_type", "count"]
    rows = {(r.layer, r.entity_type): r.count for r in layers.itertuples()}
    assert rows[("Flurstücke", "LWPOLYLINE")] == 6
    assert rows[("Flurstücke", "HATCH")] == 1  # the parcel with a hole
    assert rows[("Gebäude_Wohnen", "HATCH")] == 2
    assert rows[("Gebäude_Nebengebäude", "LWPOLYLINE")] == 1
    assert rows[("Flurstücksnummern Gemarkung 072566 Flur 002", "TEXT")] == 2
    assert rows[("Straßenverkehr", "LWPOLYLINE")] == 1
    assert rows[("Nutzung_Wohnbaufläche", "LWPOLYLINE")] == 1


def _doc_with_parcels(version="R2018"):
    doc = ezdxf.new(version)
    for name in ("Flurstücke", "Flurstücksnummern"):
        doc.layers.add(name)
    return doc, doc.modelspace()


def test_hatch_with_hole_gives_polygon_with_interior(tmp_path):
    doc, msp = _doc_with_parcels()
    hatch = msp.add_hatch(dxfattribs={"layer": "Flurstücke"})
    hatch.paths.add_polyline_path([(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)],
                                  flags=1)
    hatch.paths.add_polyline_path([(X0 + 10, Y0 + 10), (X0 + 20, Y0 + 10), (X0 + 20, Y0 + 20),
                                   (X0 + 10, Y0 + 20)], flags=16)
    msp.add_text("7", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 5, Y0 + 5)})
    doc.saveas(tmp_path / "h.dxf")
    p = read_alkis_dxf(tmp_path / "h.dxf", crs=CRS, gemarkung="072566", flur=3)["parcels"]
    assert len(p) == 1
    assert p.geometry.iloc[0].area == pytest.approx(800)
    assert len(p.geometry.iloc[0].interiors) == 1
    assert p["flstkennz"].iloc[0] == "07256600300007______"


def test_bulge_is_approximated_as_arc(tmp_path):
    doc, msp = _doc_with_parcels()
    # square 10 x 10 whose top edge bulges out as a half circle of radius 5
    msp.add_lwpolyline([(X0, Y0, 0), (X0 + 10, Y0, 0), (X0 + 10, Y0 + 10, 1), (X0, Y0 + 10, 0)],
                       format="xyb", close=True, dxfattribs={"layer": "Flurstücke"})
    doc.saveas(tmp_path / "b.dxf")
    p = read_alkis_dxf(tmp_path / "b.dxf", crs=CRS)["parcels"]
    assert p.geometry.iloc[0].area == pytest.approx(100 + math.pi * 25 / 2, abs=0.05)
    assert p.total_bounds[3] == pytest.approx(Y0 + 15, abs=0.01)


def test_r12_cp1252_umlauts(tmp_path):
    doc, msp = _doc_with_parcels("R12")
    doc.layers.add("Gebäude_Wohnen")
    msp.add_polyline2d([(X0, Y0), (X0 + 20, Y0), (X0 + 20, Y0 + 20), (X0, Y0 + 20)], close=True,
                       dxfattribs={"layer": "Flurstücke"})
    msp.add_polyline2d([(X0 + 5, Y0 + 5), (X0 + 10, Y0 + 5), (X0 + 10, Y0 + 10), (X0 + 5, Y0 + 10)],
                       close=True, dxfattribs={"layer": "Gebäude_Wohnen"})
    msp.add_text("12/3", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 15, Y0 + 15)})
    path = tmp_path / "r12.dxf"
    doc.saveas(path)
    raw = path.read_bytes()
    assert b"AC1009" in raw and "Flurstücke".encode("cp1252") in raw
    assert "Flurstücke" in set(list_dxf_layers(path)["layer"])
    got = read_alkis_dxf(path, crs=CRS, gemarkung="2566", flur=1)
    assert got["parcels"][["zaehler", "nenner"]].iloc[0].tolist() == [12, 3]
    assert got["parcels"]["flstkennz"].iloc[0] == "072566001000120003__"
    assert got["buildings"].area.tolist() == [25.0]


def test_einzellinien_are_polygonised(tmp_path):
    doc = ezdxf.new("R2010")
    doc.layers.add("Flurstücksgrenzen")
    msp = doc.modelspace()
    # two 10 x 20 parcels drawn as single boundary lines, the middle line drawn once
    for a, b in [((0, 0), (20, 0)), ((20, 0), (20, 20)), ((20, 20), (0, 20)), ((0, 20), (0, 0)),
                 ((10, 0), (10, 20))]:
        msp.add_line((X0 + a[0], Y0 + a[1]), (X0 + b[0], Y0 + b[1]),
                     dxfattribs={"layer": "Flurstücksgrenzen"})
    msp.add_text("5", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 5, Y0 + 5)})
    msp.add_text("6", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 15, Y0 + 5)})
    doc.saveas(tmp_path / "e.dxf")
    got = read_alkis_dxf(tmp_path / "e.dxf", crs=CRS, gemarkung="2566", flur=1)
    p = got["parcels"]
    assert sorted(p.area.round(6)) == [200.0, 200.0]
    assert sorted(p["zaehler"]) == [5, 6]
    assert got.problems == []


def test_text_problems_are_reported(tmp_path):
    doc, msp = _doc_with_parcels()
    for dx in (0, 20):
        msp.add_lwpolyline([(X0 + dx, Y0), (X0 + dx + 20, Y0), (X0 + dx + 20, Y0 + 20),
                            (X0 + dx, Y0 + 20)], close=True, dxfattribs={"layer": "Flurstücke"})
    msp.add_text("1", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 5, Y0 + 5)})
    msp.add_mtext("2", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 8, Y0 + 8)})
    msp.add_text("99/1", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 100, Y0 + 5)})
    doc.saveas(tmp_path / "t.dxf")
    got = read_alkis_dxf(tmp_path / "t.dxf", crs=CRS, gemarkung="2566", flur=1)
    p = got["parcels"]
    probs = got.problems
    # the deeper number (8 m from the boundary) wins over the one 5 m from it; the loser has
    # no unnumbered parcel within 10 m (the other parcel is 12 m away)
    assert any("'99/1'" in s and "keinem Flurstück" in s for s in probs)
    assert any("zweite Nummer" in s and "'1'" in s for s in probs)
    assert any("1 Flurstücke ohne Flurstücksnummer" in s for s in probs)
    assert sorted(p["zaehler"]) == [0, 2]
    assert p["flstkennz"].is_unique and all(len(k) == 20 for k in p["flstkennz"])


def test_parse_parcel_text():
    assert parse_parcel_text("123/4")["nenner"] == 4
    assert parse_parcel_text("123")["nenner"] is None
    full = parse_parcel_text("072566003001230004__")
    assert (full["gemarkung"], full["flur"], full["zaehler"], full["nenner"]) == ("2566", 3, 123, 4)
    assert parse_parcel_text("Gemarkung 2566 Flur 4 12/1")["flur"] == 4
    assert parse_parcel_text("Hauptstraße") is None


@pytest.mark.parametrize(
    ("bounds", "match"),
    [((3_420_000, 5_500_000, 3_421_000, 5_501_000), "Gauß-Krüger.*EPSG:31467"),
     ((2_580_000, 5_500_000, 2_581_000, 5_501_000), "EPSG:31466"),
     ((32_420_000, 5_500_000, 32_421_000, 5_501_000), "Zonennummer 32.*EPSG:4647"),
     ((1_000, 2_000, 1_500, 2_500), "gekürzt oder verschoben"),
     ((420_000, 2_000, 420_500, 2_500), "gekürzt oder verschoben"),
     ((150_000, 5_500_000, 151_000, 5_501_000), "nicht in Deutschland")],
)
def test_crs_plausibility(bounds, match):
    with pytest.raises(CRSError, match=match):
        check_crs(bounds, CRS, "x.dxf")


def test_crs_plausible_values_pass():
    check_crs((400_000, 5_500_000, 401_000, 5_501_000), CRS, "x.dxf")
    check_crs((3_420_000, 5_500_000, 3_421_000, 5_501_000), "EPSG:31467", "x.dxf")
    check_crs((32_420_000, 5_500_000, 32_421_000, 5_501_000), "EPSG:4647", "x.dxf")


def test_crs_check_on_file_and_missing_crs(district, tmp_path):
    shifted = {k: v.set_geometry(v.translate(3_000_000, 0)) for k, v in district.items()}
    write_alkis_dxf(tmp_path / "gk.dxf", **shifted)
    with pytest.raises(CRSError, match=r"gk\.dxf: .*Gauß-Krüger"):
        read_alkis_dxf(tmp_path / "gk.dxf", crs=CRS)
    with pytest.raises(CRSError, match="crs: EPSG:25832 in config unter alkis: setzen"):
        read_alkis_dxf(tmp_path / "gk.dxf")


@pytest.mark.parametrize("content", [b"", b"this is no dxf\n", b"0\nSECTION\n2\nHEADER\n9\n$AC"])
def test_broken_files_give_one_line_input_error(tmp_path, content):
    path = tmp_path / "kaputt.dxf"
    path.write_bytes(content)
    with pytest.raises(InputError, match="kaputt.dxf") as info:
        read_alkis_dxf(path, crs=CRS)
    assert "\n" not in str(info.value) and "Lösung:" in str(info.value)


def test_missing_file_and_bad_mapping(tmp_path):
    with pytest.raises(InputError, match="nicht gefunden"):
        read_alkis_dxf(tmp_path / "fehlt.dxf", crs=CRS)
    with pytest.raises(ConfigError, match="unbekannte Rolle"):
        read_alkis_dxf(tmp_path / "fehlt.dxf", crs=CRS, layers={"gebaeude": {"layers": ["*"]}})
    with pytest.raises(ConfigError, match="nutzung"):
        read_alkis_dxf(tmp_path / "fehlt.dxf", crs=CRS,
                       layers={"landuse": [{"layers": ["*"], "nutzung": "acker"}]})


def test_layers_argument_overrides_preset(written):
    got = read_alkis_dxf(written, crs=CRS, layers={
        "buildings": [{"layers": ["gebaeude_*"], "funktion": 9998, "kategorie": "sonstige"}]})
    assert set(got["buildings"]["kategorie"]) == {"sonstige"}
    assert len(got["parcels"]) == 6  # other roles still from the preset


def test_binary_dxf_and_blocks_with_attribs(tmp_path):
    doc, msp = _doc_with_parcels("R2000")
    doc.layers.add("Gebäude_Gewerbe")
    block = doc.blocks.new("HAUS")
    block.add_lwpolyline([(0, 0), (8, 0), (8, 6), (0, 6)], close=True,
                         dxfattribs={"layer": "Gebäude_Gewerbe"})
    label = doc.blocks.new("FLSTNR")
    label.add_attdef("NR", (0, 0), dxfattribs={"layer": "Flurstücksnummern"})
    msp.add_lwpolyline([(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)], close=True,
                       dxfattribs={"layer": "Flurstücke"})
    msp.add_blockref("HAUS", (X0 + 2, Y0 + 2), dxfattribs={"xscale": 2, "yscale": 2})
    ref = msp.add_blockref("FLSTNR", (X0 + 25, Y0 + 25))
    ref.add_auto_attribs({"NR": "Gemarkung 2566 Flur 2 45/6"})
    path = tmp_path / "bin.dxf"
    doc.saveas(path, fmt="bin")
    assert path.read_bytes().startswith(b"AutoCAD Binary DXF")
    got = read_alkis_dxf(path, crs=CRS)
    assert got["buildings"].area.tolist() == [pytest.approx(16 * 12)]
    assert got["buildings"]["kategorie"].tolist() == ["gewerbe"]
    assert got["parcels"]["flstkennz"].tolist() == ["072566002000450006__"]


def test_mtext_stacked_fraction(tmp_path):
    doc, msp = _doc_with_parcels()
    msp.add_lwpolyline([(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)], close=True,
                       dxfattribs={"layer": "Flurstücke"})
    msp.add_mtext(r"{\H0.7x;\S123^4;}", dxfattribs={"layer": "Flurstücksnummern",
                                                   "insert": (X0 + 3, Y0 + 3)})
    doc.saveas(tmp_path / "m.dxf")
    p = read_alkis_dxf(tmp_path / "m.dxf", crs=CRS, gemarkung="072566", flur=1)["parcels"]
    assert (p["zaehler"].iloc[0], p["nenner"].iloc[0]) == (123, 4)


def test_gdal_reader_reads_utf8_despite_ansi_codepage(written):
    # ezdxf writes $DWGCODEPAGE=ANSI_1252 into R2018 files; the text is UTF-8 nonetheless
    assert b"ANSI_1252" in written.read_bytes()
    got = read_alkis_dxf(written, crs=CRS, reader="gdal", layers={
        "landuse": [{"layers": ["Nutzung_Wohnbaufläche"], "nutzung": "wohnbau"}]})
    assert got["landuse"]["nutzung"].tolist() == ["wohnbau"]
    assert sorted(got["parcels"]["zaehler"]) == [1, 1, 2, 3, 17, 18]


def test_numbers_on_the_parcel_layer_itself(tmp_path):
    doc, msp = _doc_with_parcels()
    msp.add_lwpolyline([(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)], close=True,
                       dxfattribs={"layer": "Flurstücke"})
    msp.add_text("8/15", dxfattribs={"layer": "Flurstücke", "insert": (X0 + 3, Y0 + 3)})
    doc.saveas(tmp_path / "same.dxf")
    for reader in ("ezdxf", "gdal"):
        p = read_alkis_dxf(tmp_path / "same.dxf", crs=CRS, gemarkung="2566", flur=1,
                           reader=reader, layers={"parcel_numbers": {"layers": ["flurstücke"]}})
        assert p["parcels"]["flstkennz"].tolist() == ["072566001000080015__"]


def test_ax_preset_derives_kategorie_from_funktion(tmp_path):
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_lwpolyline([(X0, Y0), (X0 + 30, Y0), (X0 + 30, Y0 + 30), (X0, Y0 + 30)], close=True,
                       dxfattribs={"layer": "AX_Flurstueck"})
    msp.add_text("4", dxfattribs={"layer": "AX_Flurstueck", "insert": (X0 + 3, Y0 + 3)})
    for i, layer in enumerate(["AX_Gebaeude_1010", "AX_Gebaeude_2463", "AX_Gebaeude"]):
        x = X0 + 5 + 8 * i
        msp.add_lwpolyline([(x, Y0 + 5), (x + 5, Y0 + 5), (x + 5, Y0 + 10), (x, Y0 + 10)],
                           close=True, dxfattribs={"layer": layer})
    doc.saveas(tmp_path / "ax.dxf")
    got = read_alkis_dxf(tmp_path / "ax.dxf", crs=CRS, preset="dxf_ax_objektarten",
                         gemarkung="2566", flur=1)
    b = got["buildings"].sort_values("funktion")
    assert b["funktion"].tolist() == [1000, 2463, 9998]
    assert b["kategorie"].tolist() == ["haupt", "neben", "sonstige"]
    assert got["parcels"]["zaehler"].tolist() == [4]


def test_rule_shorthand_and_missing_class(written):
    got = read_alkis_dxf(written, crs=CRS, layers={"buildings": ["Gebäude_*"]})
    assert set(got["buildings"]["funktion"]) == {9998}
    with pytest.raises(ConfigError, match="art=None.*alkis.layers|alkis.layers.*art=None"):
        read_alkis_dxf(written, crs=CRS, layers={"roads": "Weg"})
