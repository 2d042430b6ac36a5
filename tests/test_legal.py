"""ALKIS restrictions (ax_denkmalschutzrecht, Wasserrecht, Naturschutzrecht …): codes, reading, criteria.

Every code mapping is checked against a hand-made case; the expected classes follow from the
documented defaults (docs/criteria.md) and can be worked out by hand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.denkmalschutz import MonumentParams
from nachverdichtung.io.legal import read_legal
from nachverdichtung.legal_codes import BODENORDNUNG, DENKMAL, NATUR, SCHUTZZONE, WASSER, lookup
from nachverdichtung.rating import rate

from .districts import CRS, X0, Y0, make_layers


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def legal_frame(codes, geoms, names=None, table=NATUR, objektart="ax_x"):
    res = [lookup(table, c) for c in codes]
    return gpd.GeoDataFrame({"objektart": objektart, "code": pd.array([r[0] for r in res], dtype="Int64"),
                             "kategorie": [r[1] for r in res], "art": [r[2] for r in res],
                             "name": names or [""] * len(codes), "beginnt": ""}, geometry=list(geoms), crs=CRS)


def areas(n):
    """n areas of 20 x 20 m, 100 m apart along x."""
    return gpd.GeoDataFrame(geometry=[box(100 * i, 0, 100 * i + 20, 20) for i in range(n)], crs=CRS,
                            index=[f"A{i}" for i in range(n)])


def layers_with(**vectors):
    return make_layers([box(-50, -50, 2000, 60)], [], [box(-50, -60, 2000, -50)], **vectors)


# --- code tables -----------------------------------------------------------------------------------

@pytest.mark.parametrize("table, code, category", [
    (NATUR, 1621, "NSG"), (NATUR, 1651, "Biotop30"), (NATUR, 1652, "Biotop30"), (NATUR, 1653, "Naturdenkmal"),
    (NATUR, 1622, "GLB"), (NATUR, 1611, "FFH"), (NATUR, 1612, "VSG"), (NATUR, 1610, "Natura2000"),
    (NATUR, 1623, "LSG"), (NATUR, 1624, "Naturpark"), (NATUR, 1656, "Ausgleichsfläche"), (NATUR, 1634, "Altlast"),
    (DENKMAL, 2711, "Einzeldenkmal"), (DENKMAL, 2713, "Gartendenkmal"), (DENKMAL, 2910, "Denkmalzone"),
    (DENKMAL, 2920, "Geschützter Baubereich"), (DENKMAL, 2930, "Grabungsschutzgebiet"),
    (DENKMAL, 2820, "Bodendenkmal"), (DENKMAL, 3132, "Bodendenkmal"),
    (WASSER, 1441, "ÜSG festgesetzt"), (WASSER, 1440, "ÜSG"), (WASSER, 1442, "ÜSG natürlich"),
    (WASSER, 1340, "Gewässer"), (WASSER, 1470, "Deichgebiet"),
    (SCHUTZZONE, 1020, "Schutzzone II"), (SCHUTZZONE, 1031, "Schutzzone III"),
    (BODENORDNUNG, 1750, "Bodenordnung"), (BODENORDNUNG, 2110, "Bodenordnung"), (BODENORDNUNG, 1840, "Städtebaurecht"),
])
def test_code_tables(table, code, category):
    assert lookup(table, code)[1] == category
    assert lookup(table, f"{code}")[1] == category          # codes as text (Shapefile/CSV exports)
    assert lookup(table, f"{code}.0")[1] == category        # codes read as float
    assert lookup(table, lookup(table, code)[2])[0] == code  # the official name resolves back to the code


def test_unknown_codes_are_marked_not_dropped():
    assert lookup(DENKMAL, 2999) == (2999, "unbekannt", "2999")
    assert lookup(NATUR, "Stadtpark") == (None, "unbekannt", "Stadtpark")


# --- reading a delivery ----------------------------------------------------------------------------

def _write_delivery(tmp_path, kind):
    zone = box(0, 0, 50, 50)
    frames = {
        "ax_denkmalschutzrecht": gpd.GeoDataFrame({"artderfestlegung": [2910, 2999], "name": ["Ortskern", "X"],
                                                   "beginnt": ["2024-05-02T10:00:00Z", "2025-01-31T09:00:00Z"]},
                                                  geometry=[zone, box(60, 0, 70, 10)], crs=CRS),
        "ax_anderefestlegungnachwasserrecht": gpd.GeoDataFrame({"artderfestlegung": [1441], "nummer": ["ÜSG 7"]},
                                                               geometry=[zone], crs=CRS),
        "ax_schutzzone": gpd.GeoDataFrame({"zone": [1020]}, geometry=[zone], crs=CRS),
    }
    if kind == "gpkg":
        path = tmp_path / "alkis.gpkg"
        for layer, g in frames.items():
            g.to_file(path, layer=layer)
    else:
        path = tmp_path / "shp"
        path.mkdir()
        for layer, g in frames.items():  # Shapefile exports cut field names to 10 characters
            g.rename(columns={"artderfestlegung": "artderfest"}).to_file(path / f"{layer}.shp")
    return path


@pytest.mark.parametrize("kind", ["gpkg", "shp"])
def test_read_legal_gpkg_and_shapefile_folder(tmp_path, kind):
    got = read_legal(_write_delivery(tmp_path, kind))
    assert set(got.frame) == {"legal_monuments", "legal_water", "legal_zones"}
    mon = got.frame["legal_monuments"]
    assert mon["kategorie"].tolist() == ["Denkmalzone", "unbekannt"]
    assert mon["code"].tolist() == [2910, 2999]
    assert mon["name"].tolist() == ["Ortskern", "X"]
    assert got.frame["legal_water"]["kategorie"].tolist() == ["ÜSG festgesetzt"]
    assert got.frame["legal_water"]["name"].tolist() == ["ÜSG 7"]
    assert got.frame["legal_zones"]["kategorie"].tolist() == ["Schutzzone II"]
    unknown = [p for p in got.problems if "unbekannt" in p]
    assert len(unknown) == 1 and "2999" in unknown[0] and "ax_denkmalschutzrecht" in unknown[0]


def test_delivery_without_legal_layers(tmp_path):
    path = tmp_path / "a.gpkg"
    gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 0, 1, 1)], crs=CRS).to_file(path, layer="ax_flurstueck")
    assert read_legal(path).frame == {}


# --- Naturschutz from ALKIS ------------------------------------------------------------------------

def test_naturschutz_from_alkis_codes():
    a = areas(6)
    legal = legal_frame([1621, 1623, 1624, 1999, 1622, 1656],
                        [box(15, 0, 30, 20), box(90, -10, 130, 30), box(190, -10, 230, 30), box(290, -10, 330, 30),
                         box(410, 0, 430, 20), box(500, 0, 520, 20)], objektart="ax_naturumweltoderbodenschutzrecht")
    out = REGISTRY["naturschutz"](a, layers_with(legal_nature=legal))
    # NSG 100 m² inside → nicht; LSG → bedingt; Naturpark → no effect; unknown code → not understood,
    # so nicht bewertet naming it; Geschützter Landschaftsbestandteil 200 m² inside → nicht; Ausgleichsfläche → bedingt
    assert out["naturschutz_klasse"].tolist() == ["nicht geeignet", "bedingt geeignet", "geeignet",
                                                  "nicht bewertet", "nicht geeignet", "bedingt geeignet"]
    assert "artderfestlegung 1999" in out["naturschutz_grund"].iloc[3]
    assert out["naturschutz_ausschluss_m2"].tolist()[:1] == [100.0]
    assert out["naturschutz_ausschluss_m2"].iloc[4] == 200.0


def test_naturschutz_thematic_and_alkis_add_up_without_double_counting():
    a = areas(2)
    same = box(15, 0, 30, 20)
    thematic = gpd.GeoDataFrame({"kategorie": ["NSG"], "name": ["Bruch"]}, geometry=[same], crs=CRS)
    legal = legal_frame([1621, 1651], [same, box(110, 0, 120, 20)])
    out = REGISTRY["naturschutz"](a, layers_with(protected_areas=thematic, legal_nature=legal))
    assert out["naturschutz_ausschluss_m2"].tolist() == [100.0, 200.0]
    assert out["naturschutz_klasse"].tolist() == ["nicht geeignet", "nicht geeignet"]


# --- Denkmalschutz ---------------------------------------------------------------------------------

def test_denkmalschutz_classes():
    a = areas(5)
    mon = legal_frame([2910, 2711, 2711, 2930, 2999],
                      [box(-10, -10, 30, 30),            # Denkmalzone covers A0
                       box(126, 0, 136, 10),             # Baudenkmal 6 m east of A1 → Umgebung
                       box(240, 0, 250, 10),             # Baudenkmal 20 m east of A2 → too far
                       box(300, 0, 310, 20),             # Grabungsschutzgebiet over half of A3
                       box(400, 0, 420, 5)], table=DENKMAL,
                      names=["Ortskern", "Pfarrhaus", "Scheune", "Römervilla", ""])
    out = REGISTRY["denkmalschutz"](a, layers_with(legal_monuments=mon))
    assert out["denkmalschutz_klasse"].tolist() == ["bedingt geeignet", "bedingt geeignet", "geeignet",
                                                    "bedingt geeignet", "nicht bewertet"]  # 2999: not understood
    assert "artderfestlegung 2999" in out["denkmalschutz_grund"].iloc[4]
    assert out["denkmalschutz_abstand_denkmal_m"].iloc[1] == 6.0
    assert np.isnan(out["denkmalschutz_abstand_denkmal_m"].iloc[2])
    assert out["denkmalschutz_betroffen_m2"].tolist() == [400.0, 0.0, 0.0, 200.0, 0.0]
    assert "Denkmalzone „Ortskern“" in out["denkmalschutz_grund"].iloc[0]
    assert "§ 13 DSchG RLP" in out["denkmalschutz_grund"].iloc[1]
    # configurable: a municipality that treats an overlapped monument as exclusion
    strict = REGISTRY["denkmalschutz"](a, layers_with(legal_monuments=mon),
                                      MonumentParams(ausschluss_kategorien=("Grabungsschutzgebiet",)))
    assert strict["denkmalschutz_klasse"].iloc[3] == "nicht geeignet"


def test_denkmalschutz_missing_and_empty_and_monument_list():
    a = areas(2)
    assert set(REGISTRY["denkmalschutz"](a, layers_with())["denkmalschutz_klasse"]) == {"nicht bewertet"}
    empty = legal_frame([], [], table=DENKMAL)
    out = REGISTRY["denkmalschutz"](a, layers_with(legal_monuments=empty))
    assert set(out["denkmalschutz_klasse"]) == {"geeignet"}   # the delivery holds the object type: rated
    points = gpd.GeoDataFrame({"kategorie": [None], "name": ["Wegkreuz"]}, geometry=[shapely.Point(X0 + 125, Y0 + 10)],
                              crs=CRS)
    out = REGISTRY["denkmalschutz"](a, layers_with(monuments=points))
    assert out["denkmalschutz_klasse"].tolist() == ["geeignet", "bedingt geeignet"]   # 5 m from A1


# --- Hochwasser ------------------------------------------------------------------------------------

def test_hochwasser_alkis_codes_and_hints():
    a = areas(4)
    water = legal_frame([1441, 1442, 1340], [box(10, -10, 30, 30), box(100, 0, 110, 20), box(200, 0, 220, 3)],
                        table=WASSER, names=["Lauter", "", "Mühlbach"])
    zones = legal_frame([1030], [box(290, -10, 330, 30)], table=SCHUTZZONE)
    out = REGISTRY["hochwasser"](a, layers_with(legal_water=water, legal_zones=zones))
    assert out["hochwasser_klasse"].tolist() == ["nicht geeignet", "bedingt geeignet", "geeignet", "geeignet"]
    assert out["hochwasser_flaeche_m2"].tolist() == [200.0, 200.0, 0.0, 0.0]
    assert out["hochwasser_anteil_pct"].tolist() == [50.0, 50.0, 0.0, 0.0]
    assert "§ 78 WHG" in out["hochwasser_grund"].iloc[0] and "„Lauter“" in out["hochwasser_grund"].iloc[0]
    assert out["hochwasser_hinweise"].tolist()[2:] == ["Gewässer (Gewässer III. Ordnung)", "Schutzzone III (Zone III)"]


def test_hochwasser_hazard_layer_scenarios():
    a = areas(4)
    hazard = gpd.GeoDataFrame({"szenario": ["HQ100", "HQextrem", "HQ10", "HQ irgendwas"]},
                              geometry=[box(0, 0, 20, 20), box(100, 0, 120, 20), box(200, 0, 220, 20),
                                        box(300, 0, 320, 20)], crs=CRS)
    out = REGISTRY["hochwasser"](a, layers_with(flood_hazard=hazard))
    assert out["hochwasser_klasse"].tolist() == ["bedingt geeignet", "bedingt geeignet", "nicht geeignet",
                                                 "nicht bewertet"]   # unknown scenario: not understood, never a pass
    assert "HQ irgendwas" in out["hochwasser_grund"].iloc[3]
    nested = gpd.GeoDataFrame({"szenario": ["HQ100", "HQextrem"]}, geometry=[box(0, 0, 10, 20), box(0, 0, 20, 20)],
                              crs=CRS)
    out = REGISTRY["hochwasser"](areas(1), layers_with(flood_hazard=nested))
    assert out["hochwasser_anteil_pct"].tolist() == [100.0]   # union of nested scenarios, not their sum
    assert set(REGISTRY["hochwasser"](a, layers_with())["hochwasser_klasse"]) == {"nicht bewertet"}


# --- provisional class -----------------------------------------------------------------------------

def test_provisional_class_by_hand():
    f = pd.DataFrame({
        "a_klasse": ["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet", "geeignet"],
        "a_grund": ["ok"] * 5,
        "b_klasse": ["nicht bewertet", "nicht bewertet", "nicht bewertet", "nicht bewertet", "geeignet"],
        "b_grund": ["fehlt"] * 5})
    r = rate(f, ["a", "b"], {"a": "Zuschnitt", "b": "Topographie"})
    assert r["klasse"].tolist() == ["nicht bewertet", "nicht bewertet", "nicht geeignet", "nicht bewertet", "geeignet"]
    assert r["klasse_vorlaeufig"].tolist() == ["geeignet", "bedingt geeignet", "nicht geeignet", "nicht bewertet",
                                               "geeignet"]
    assert r["vorlaeufig"].tolist() == [
        "vorläufig geeignet – nicht bewertet: Topographie",
        "vorläufig bedingt geeignet – nicht bewertet: Topographie",
        "nicht geeignet – nicht bewertet: Topographie",
        "nicht bewertet: Zuschnitt, Topographie",
        "geeignet"]


# --- the sample district and an ALKIS-only configuration ---------------------------------------------

@pytest.mark.parametrize("name", ["denkmalschutz", "hochwasser"])
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_legal_cases_in_sample(name, on, sample_config, sample_assessment):
    from .test_baeume import check_planted

    check_planted(name, sample_config, sample_assessment, on=on)


def test_alkis_only_config_rates_legal_criteria_from_the_delivery(sample_config, tmp_path):
    from nachverdichtung.config import load_config
    from nachverdichtung.pipeline import assess

    cfg = tmp_path / "config.yml"
    cfg.write_text(f"alkis:\n  path: {sample_config.parent / 'alkis.gpkg'}\n", encoding="utf-8")
    result = assess(load_config(cfg))
    a = result.areas
    assert len(a) > 100
    for name in ("naturschutz", "denkmalschutz", "hochwasser"):
        assert (a[f"{name}_klasse"] != "nicht bewertet").all(), name
    assert (a["denkmalschutz_klasse"] == "bedingt geeignet").any()
    assert (a["hochwasser_klasse"] == "nicht geeignet").any()
    assert (a["naturschutz_klasse"] == "nicht geeignet").any()
    # thematic rasters are missing: the overall class stays "nicht bewertet" (unless something excludes the
    # area already), and the provisional class is given for every area
    assert a["klasse"].isin(["nicht bewertet", "nicht geeignet"]).all()
    assert (a["klasse"] == "nicht bewertet").sum() > 0.5 * len(a)
    assert a["klasse_vorlaeufig"].isin(["geeignet", "bedingt geeignet", "nicht geeignet"]).all()
    assert (a.loc[a["klasse"] == "nicht geeignet", "klasse_vorlaeufig"] == "nicht geeignet").all()
    assert a["vorlaeufig"].str.contains("nicht bewertet: ").all()
    assert a["vorlaeufig"].str.contains("Topographie").all()


# --- Bodenordnung note, place name and data date -------------------------------------------------------

def test_land_order_is_a_note_not_a_class():
    from nachverdichtung.bodenordnung import land_order_notes

    a = areas(3)
    lo = legal_frame([1750, 2110, 9876], [box(0, 0, 10, 20), box(100, 0, 120, 20), box(230, 0, 240, 20)],
                     table=BODENORDNUNG, names=["Am Rebenhang", "", ""])
    notes = land_order_notes(a, layers_with(legal_landorder=lo))
    assert notes.tolist() == ["Umlegung nach dem BauGB „Am Rebenhang“ (Bodenordnung, laut ALKIS)",
                              "Flurbereinigung (Par. 1, 37 FlurbG) (Bodenordnung, laut ALKIS)", ""]
    assert land_order_notes(a, layers_with()).tolist() == ["", "", ""]


def test_place_name_and_stand_from_the_delivery(sample_config, sample_assessment):
    from nachverdichtung.export.report import report_context
    from nachverdichtung.io.place import read_place

    for rel in ("alkis.gpkg", "alkis_ax"):
        place = read_place(sample_config.parent / rel, ["2566", "2567"]).frame
        assert place.name == "Rebenhausen (Gemarkungen Lindenau, Rebenhausen)"
        assert place.stand == "2025-11-14" and "beginnt" in place.stand_quelle
    # the simplified export holds neither: the file date, said as such
    simple = read_place(sample_config.parent / "alkis_vereinfacht", ["2566"]).frame
    assert simple.name == "" and simple.stand_quelle.startswith("Dateidatum")
    man = sample_assessment.manifest
    assert man["gebiet"]["name"] == "Rebenhausen (Gemarkungen Lindenau, Rebenhausen)"
    assert man["datenstand"] == {"datum": "2025-11-14", "quelle": "jüngstes 'beginnt' der Flurstücke (ALKIS)"}
    ctx = report_context(sample_assessment)
    assert ctx["study_area"].startswith("Rebenhausen") and ctx["data_date"] == "14.11.2025"
    assert [i["datum"] for i in ctx["inputs"] if i["name"] == "alkis"] == ["14.11.2025"]


def test_sample_notes_and_report_counts_both_classes(sample_assessment):
    from nachverdichtung.export.report import report_context

    a = sample_assessment.areas
    assert a["bodenordnung"].str.contains("Umlegung nach dem BauGB „Am Rebenhang“").any()
    assert "bodenordnung" not in " ".join(a["entscheidend"])
    ctx = report_context(sample_assessment)
    rows = {r["klasse"]: r for r in ctx["summary"]["klassen"]}
    assert sum(r["vorlaeufig"] for r in rows.values()) == len(a)
    assert all(rows[k]["vorlaeufig"] == int((a["klasse_vorlaeufig"] == k).sum()) for k in rows)


def test_validate_reports_unknown_codes(sample_config, tmp_path, capsys):
    import shutil

    import pyogrio

    from nachverdichtung.cli import main

    gpkg = tmp_path / "alkis.gpkg"
    shutil.copy(sample_config.parent / "alkis.gpkg", gpkg)
    odd = gpd.GeoDataFrame({"artderfestlegung": [2999], "name": ["Sonderfall"], "beginnt": [""]},
                           geometry=[box(0, 0, 10, 10)], crs=CRS)
    pyogrio.write_dataframe(odd, gpkg, layer="ax_denkmalschutzrecht", append=True)
    cfg = tmp_path / "config.yml"
    cfg.write_text("alkis:\n  path: alkis.gpkg\n", encoding="utf-8")
    assert main(["validate", str(cfg), "-q"]) == 0
    out = capsys.readouterr().out
    assert "legal_monuments" in out
    line = next(ln for ln in out.splitlines() if "unbekanntem Code" in ln)
    assert "2999" in line and "ax_denkmalschutzrecht" in line
