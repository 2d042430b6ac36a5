"""DXF export conventions of surveying offices, on tiny hand-made files written with ezdxf.

Closure at UTM magnitudes, preset choice, unmatched layers, ``extend:``, special boundaries,
shortened coordinates, XDATA, fractions, blocks, arrows, the nearest-parcel rule and Flur labels.
"""

from __future__ import annotations

import ezdxf
import pytest
import shapely

from nachverdichtung.errors import CRSError
from nachverdichtung.io.dxf import detect_dxf_preset

from .dxf_helpers import read_alkis_dxf

X0, Y0 = 400_000.0, 5_500_000.0
CRS = "EPSG:25832"


def _new(*layers):
    doc = ezdxf.new("R2018")
    for name in layers:
        doc.layers.add(name)
    return doc, doc.modelspace()


def _square(msp, x, y, w, h, layer, **kw):
    return msp.add_lwpolyline([(X0 + x, Y0 + y), (X0 + x + w, Y0 + y), (X0 + x + w, Y0 + y + h),
                               (X0 + x, Y0 + y + h)], close=True, dxfattribs={"layer": layer, **kw})


def _text(msp, s, x, y, layer="Flurstücksnummern"):
    msp.add_text(s, dxfattribs={"layer": layer, "insert": (X0 + x, Y0 + y)})


def _read(doc, tmp_path, name="a.dxf", **kw):
    doc.saveas(tmp_path / name)
    kw.setdefault("crs", CRS)
    return read_alkis_dxf(tmp_path / name, **kw)


def test_open_chains_at_utm_magnitudes_are_not_closed_by_a_chord(tmp_path):
    doc, msp = _new("Flurstücke", "Flurstücksgrenzen")
    _square(msp, 0, 0, 20, 20, "Flurstücke")
    # a U on the parcel layer whose ends are 0.5 m apart: np.allclose (relative tolerance
    # 1e-5 of 5.5e6 m = 55 m) used to close it with a false chord into a second parcel
    msp.add_lwpolyline([(X0 + 30, Y0), (X0 + 50, Y0), (X0 + 50, Y0 + 20), (X0 + 30, Y0 + 20),
                        (X0 + 30, Y0 + 0.5)], dxfattribs={"layer": "Flurstücke"})
    # boundary linework: two open chains whose ends meet within 4 mm → one 10 x 10 parcel
    msp.add_lwpolyline([(X0, Y0 + 30), (X0 + 10, Y0 + 30), (X0 + 10, Y0 + 40)],
                       dxfattribs={"layer": "Flurstücksgrenzen"})
    msp.add_lwpolyline([(X0 + 10.003, Y0 + 40.002), (X0, Y0 + 40), (X0 + 0.002, Y0 + 30.003)],
                       dxfattribs={"layer": "Flurstücksgrenzen"})
    # a chain with a 30 cm gap stays open: no parcel
    msp.add_lwpolyline([(X0 + 30, Y0 + 30), (X0 + 40, Y0 + 30), (X0 + 40, Y0 + 40),
                        (X0 + 30, Y0 + 40), (X0 + 30, Y0 + 30.3)],
                       dxfattribs={"layer": "Flurstücksgrenzen"})
    p = _read(doc, tmp_path, gemarkung="2566", flur=1)["parcels"]
    assert sorted(p.area.round(1)) == [100.0, 400.0]  # ends joined where one of them is drawn
    # with a tolerance of 50 cm the 30 cm gap closes (and the U's 0.5 m gap too)
    p = read_alkis_dxf(tmp_path / "a.dxf", crs=CRS, gemarkung="2566", flur=1, tolerance=0.5)
    assert sorted(p["parcels"].area.round(0)) == [100.0, 100.0, 400.0, 400.0]


def test_auto_preset_by_layer_names_and_unmatched_layers_listed(tmp_path):
    doc, msp = _new("AX_Flurstueck", "AX_Gebaeude", "AX_Wohnbauflaeche", "Böschung")
    _square(msp, 0, 0, 20, 20, "AX_Flurstueck")
    _text(msp, "7", 5, 5, "AX_Flurstueck")
    _square(msp, 5, 5, 8, 8, "AX_Gebaeude")
    _square(msp, 0, 0, 20, 20, "AX_Wohnbauflaeche")
    for i in range(3):
        msp.add_line((X0 + i, Y0 - 5), (X0 + i + 1, Y0 - 5), dxfattribs={"layer": "Böschung"})
    got = _read(doc, tmp_path, preset="auto", gemarkung="2566", flur=2)
    probs = got.problems
    assert any("Preset automatisch gewählt: dxf_ax_objektarten" in s for s in probs)
    unmatched = [s for s in probs if "nicht zugeordnet" in s]
    assert len(unmatched) == 1 and "1 Layer nicht zugeordnet: Böschung (3 Linien)" in unmatched[0]
    assert got["parcels"]["flstkennz"].tolist() == ["07256600200007______"]
    assert got["landuse"]["nutzung"].tolist() == ["wohnbau"]
    assert detect_dxf_preset({"Flurstücke": {"poly": 5}, "Gebäude": {"poly": 9}})[0] == "dxf_sample"


def test_extend_adds_a_rule_instead_of_replacing(tmp_path):
    doc, msp = _new("Flurstücke", "Wohngebäude", "Gebäude X")
    _square(msp, 0, 0, 30, 30, "Flurstücke")
    _square(msp, 2, 2, 8, 8, "Wohngebäude")
    _square(msp, 15, 15, 8, 8, "Gebäude X")
    got = _read(doc, tmp_path, gemarkung="2566", flur=1, layers={"extend": {
        "buildings": [{"layers": ["Gebäude X"], "funktion": 2000}]}})
    assert sorted(got["buildings"]["kategorie"]) == ["gewerbe", "haupt"]
    assert not any("nicht zugeordnet" in s for s in got.problems)
    replaced = read_alkis_dxf(tmp_path / "a.dxf", crs=CRS, gemarkung="2566", flur=1, layers={
        "buildings": [{"layers": ["Gebäude X"], "funktion": 2000}]})
    assert replaced["buildings"]["kategorie"].tolist() == ["gewerbe"]
    assert any("Wohngebäude (1 Flächen)" in s for s in replaced.problems)


def test_special_boundaries_never_become_parcels(tmp_path):
    doc, msp = _new("AX_Flurstueck", "AX_BesondereFlurstuecksgrenze", "Flurgrenze")
    for i in range(4):
        _square(msp, 20 * i, 0, 20, 20, "AX_Flurstueck")
    # the outline of all four parcels, as special boundary lines (Flur-sized pseudo parcel)
    msp.add_lwpolyline([(X0, Y0), (X0 + 80, Y0), (X0 + 80, Y0 + 20), (X0, Y0 + 20)], close=True,
                       dxfattribs={"layer": "AX_BesondereFlurstuecksgrenze"})
    got = _read(doc, tmp_path, preset="dxf_ax_objektarten", gemarkung="2566", flur=1)
    assert sorted(got["parcels"].area.round(2)) == [400.0] * 4
    doc, msp = _new("Flurstücksgrenzen", "Flurgrenze")
    for x in (0, 20, 40):
        msp.add_line((X0 + x, Y0), (X0 + x, Y0 + 20), dxfattribs={"layer": "Flurstücksgrenzen"})
    for y in (0, 20):
        msp.add_line((X0, Y0 + y), (X0 + 40, Y0 + y), dxfattribs={"layer": "Flurstücksgrenzen"})
    msp.add_lwpolyline([(X0 - 5, Y0 - 5), (X0 + 45, Y0 - 5), (X0 + 45, Y0 + 25), (X0 - 5, Y0 + 25)],
                       close=True, dxfattribs={"layer": "Flurgrenze"})
    got = _read(doc, tmp_path, "b.dxf", gemarkung="2566", flur=1)
    assert sorted(got["parcels"].area.round(2)) == [400.0, 400.0]


def test_offset_restores_shortened_coordinates(tmp_path):
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_lwpolyline([(123.0, 456.0), (143.0, 456.0), (143.0, 476.0), (123.0, 476.0)],
                       close=True, dxfattribs={"layer": "Flurstücke"})
    msp.add_text("12/3", dxfattribs={"layer": "Flurstücksnummern", "insert": (130.0, 460.0)})
    doc.saveas(tmp_path / "k.dxf")
    with pytest.raises(CRSError, match="gekürzt"):
        read_alkis_dxf(tmp_path / "k.dxf", crs=CRS)
    p = read_alkis_dxf(tmp_path / "k.dxf", crs=CRS, offset=(400_000, 5_500_000),
                       gemarkung="2566", flur=1)["parcels"]
    assert p.total_bounds.tolist() == [400_123.0, 5_500_456.0, 400_143.0, 5_500_476.0]
    assert p["flstkennz"].tolist() == ["072566001000120003__"]


def test_xdata_kennzeichen_and_gebaeudefunktion(tmp_path):
    doc, msp = _new("AX_Flurstueck", "AX_Gebaeude")
    doc.appids.add("ALKIS")
    a = _square(msp, 0, 0, 20, 20, "AX_Flurstueck")
    a.set_xdata("ALKIS", [(1000, "flurstueckskennzeichen=072567004000230001__")])
    b = _square(msp, 20, 0, 20, 20, "AX_Flurstueck")
    b.set_xdata("ALKIS", [(1000, "flurstueckskennzeichen"), (1000, "072567004000240000__")])
    for x, fun in ((2, 1010), (22, 2463), (12, 2000)):
        g = _square(msp, x, 12, 5, 5, "AX_Gebaeude")
        g.set_xdata("ALKIS", [(1000, "gebaeudefunktion"), (1070, fun)])
    _square(msp, 2, 2, 4, 4, "AX_Gebaeude")  # no XDATA: preset default 9998
    got = _read(doc, tmp_path, preset="dxf_ax_objektarten")
    assert sorted(got["parcels"]["flstkennz"]) == ["072567004000230001__", "07256700400024______"]
    b = got["buildings"].sort_values("funktion")
    assert b["funktion"].tolist() == [1010, 2000, 2463, 9998]
    assert b["kategorie"].tolist() == ["haupt", "gewerbe", "neben", "sonstige"]


def test_xdata_land_use_codes(tmp_path):
    doc, msp = _new("AX_Flurstueck", "AX_TatsaechlicheNutzung", "AX_Wohnbauflaeche")
    doc.appids.add("ALKIS")
    _square(msp, 0, 0, 60, 20, "AX_Flurstueck")
    lw = _square(msp, 0, 0, 20, 20, "AX_TatsaechlicheNutzung")
    lw.set_xdata("ALKIS", [(1000, "objektart=43001"), (1000, "vegetationsmerkmal=1040")])
    _square(msp, 20, 0, 20, 20, "AX_Wohnbauflaeche")
    got = _read(doc, tmp_path, preset="dxf_ax_objektarten", gemarkung="2566", flur=1, layers={
        "extend": {"landuse": [{"layers": ["AX_TatsaechlicheNutzung"], "nutzung": "sonstige"}]}})
    lu = got["landuse"].sort_values("objektart")
    assert lu["objektart"].tolist() == ["ax_landwirtschaft", "ax_wohnbauflaeche"]
    assert lu["nutzung"].tolist() == ["landwirtschaft", "wohnbau"]
    assert lu["vegetationsmerkmal"].tolist() == ["1040", ""]


def test_fraction_block_and_mtext_numbers(tmp_path):
    doc, msp = _new("Flurstücke", "Flurstücksnummern")
    for i in range(4):
        _square(msp, 30 * i, 0, 30, 30, "Flurstücke")
    # fraction: Zähler above, Nenner below a Bruchstrich (rotated 30° in the second parcel)
    _text(msp, "12", 5, 15.4)
    _text(msp, "3", 5.5, 13.0)
    msp.add_line((X0 + 4.5, Y0 + 15), (X0 + 7.5, Y0 + 15), dxfattribs={"layer": "Flurstücksnummern"})
    import math
    u = (math.cos(math.radians(30)), math.sin(math.radians(30)))
    c = (X0 + 45, Y0 + 15)
    msp.add_line((c[0] - 1.5 * u[0], c[1] - 1.5 * u[1]), (c[0] + 1.5 * u[0], c[1] + 1.5 * u[1]),
                 dxfattribs={"layer": "Flurstücksnummern"})
    msp.add_text("4", dxfattribs={"layer": "Flurstücksnummern", "insert": (c[0] - 0.4 * u[1], c[1] + 0.4 * u[0])})
    msp.add_text("17", dxfattribs={"layer": "Flurstücksnummern", "insert": (c[0] + 2 * u[1], c[1] - 2 * u[0])})
    # block with ZAEHLER / NENNER attributes
    blk = doc.blocks.new("FLST")
    blk.add_attdef("ZAEHLER", (0, 1))
    blk.add_attdef("NENNER", (0, -1))
    ref = msp.add_blockref("FLST", (X0 + 75, Y0 + 15), dxfattribs={"layer": "Flurstücksnummern"})
    ref.add_auto_attribs({"ZAEHLER": "5", "NENNER": "2"})
    msp.add_mtext(r"{\H0.7x;\S8^1;}", dxfattribs={"layer": "Flurstücksnummern", "insert": (X0 + 105, Y0 + 15)})
    got = _read(doc, tmp_path, gemarkung="2566", flur=1)
    p = got["parcels"].sort_values("flstkennz")
    assert p[["zaehler", "nenner"]].astype(int).values.tolist() == [[4, 17], [5, 2], [8, 1], [12, 3]]
    assert not any("keine Flurstücksnummer" in s for s in got.problems)


def test_arrow_and_nearest_parcel_for_numbers_outside(tmp_path):
    doc, msp = _new("Flurstücke", "Flurstücksnummern", "Zuordnungspfeil")
    _square(msp, 0, 0, 40, 40, "Flurstücke")       # big parcel 1
    _square(msp, 40, 0, 4, 4, "Flurstücke")        # tiny parcel 2, number inside parcel 1 + arrow
    _square(msp, 40, 4, 4, 4, "Flurstücke")        # tiny parcel 3, number in the road, no arrow
    _square(msp, 44, 0, 40, 40, "Flurstücke")      # big parcel 4
    _text(msp, "1", 20, 20)
    _text(msp, "4", 64, 20)
    _text(msp, "2", 36, 2)                          # inside parcel 1, at its edge
    msp.add_lwpolyline([(X0 + 37, Y0 + 2.5), (X0 + 42, Y0 + 2)], dxfattribs={"layer": "Zuordnungspfeil"})
    _text(msp, "3", 41, -3)                         # south of everything, 3 m from parcels 2/3
    _text(msp, "9", 20, -40)                        # 40 m away: reported, not given
    read = _read(doc, tmp_path, gemarkung="2566", flur=1)
    p = read["parcels"]
    got = sorted(zip(p.bounds["minx"].round(0) - X0, p.bounds["miny"].round(0) - Y0, p["zaehler"]))
    assert got == [(0, 0, 1), (40, 0, 2), (40, 4, 3), (44, 0, 4)]
    probs = read.problems
    assert any(s.startswith("a.dxf: 1 Flurstücksnummern außerhalb") for s in probs)
    assert any("keinem Flurstück" in s and "'9'" in s for s in probs)
    assert not any("ohne Flurstücksnummer" in s for s in probs)


def test_flur_from_labels_and_boundaries_and_layer_names(tmp_path):
    doc, msp = _new("Flurstücksgrenzen", "Flurstücksnummern", "Flurgrenze", "Flur",
                    "Gemarkungsgrenze", "Gemarkung")
    # 2 x 3 parcels of 20 x 20; Flur 1 = left column, Flur 2 = middle, column 3 = other Gemarkung
    for x in (0, 20, 40, 60):
        msp.add_line((X0 + x, Y0), (X0 + x, Y0 + 40), dxfattribs={"layer": "Flurstücksgrenzen"})
    for y in (0, 20, 40):
        msp.add_line((X0, Y0 + y), (X0 + 60, Y0 + y), dxfattribs={"layer": "Flurstücksgrenzen"})
    msp.add_line((X0 + 20, Y0), (X0 + 20, Y0 + 40), dxfattribs={"layer": "Flurgrenze"})
    msp.add_line((X0 + 40, Y0), (X0 + 40, Y0 + 40), dxfattribs={"layer": "Gemarkungsgrenze"})
    for col in range(3):
        for row in range(2):
            _text(msp, str(row + 1), 20 * col + 10, 20 * row + 10)
    _text(msp, "Flur 1", 5, 18, "Flur")             # Flur labels near the top of each column
    _text(msp, "Flur 2", 25, 38, "Flur")
    _text(msp, "Flur 1", 45, 38, "Flur")
    _text(msp, "Gemarkung Hohenecken (2566)", 2, 2, "Gemarkung")
    _text(msp, "Gemarkung 2567", 42, 2, "Gemarkung")
    read = _read(doc, tmp_path)
    p = read["parcels"]
    got = sorted(p["flstkennz"])
    assert got == ["07256600100001______", "07256600100002______", "07256600200001______",
                   "07256600200002______", "07256700100001______", "07256700100002______"]
    assert not any("unbekannt" in s for s in read.problems)
    # the Flur in the number layer's name
    doc, msp = _new("Flurstücke", "Flurstücksnummern Flur 7")
    _square(msp, 0, 0, 20, 20, "Flurstücke")
    _text(msp, "3", 5, 5, "Flurstücksnummern Flur 7")
    p = _read(doc, tmp_path, "c.dxf", gemarkung="2566")["parcels"]
    assert p["flstkennz"].tolist() == ["07256600700003______"]
