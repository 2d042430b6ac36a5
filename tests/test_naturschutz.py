"""Nature and species protection: small boxes and points worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.naturschutz import NatureParams

from .districts import CRS, X0, Y0, make_layers


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


AREAS = [box(0, 0, 20, 20), box(100, 0, 120, 20), box(200, 0, 220, 20), box(300, 0, 320, 20),
         box(400, 0, 420, 20), box(600, 0, 620, 20)]
PROTECTED = [("NSG", "Bruchwald", box(15, 0, 30, 20)),         # 5 × 20 = 100 m² inside A0
             ("Biotop30", "Feuchtwiese", box(125, 0, 140, 20)),  # 5 m east of A1
             ("LSG", "Pfälzerwald", box(150, -50, 250, 50)),     # covers A2 completely
             ("Naturdenkmal", "Linde", box(620, 0, 630, 20))]    # touches A5 (distance 0, no overlap)
SPECIES = [("Zauneidechse", (440, 10)), ("Feldhamster", (480, 10))]  # 20 m and 60 m east of A4


def run(protected=PROTECTED, species=SPECIES, **params):
    areas = gpd.GeoDataFrame(geometry=AREAS, crs=CRS, index=[f"A{i}" for i in range(len(AREAS))])
    vectors = {}
    if protected is not None:
        vectors["protected_areas"] = gpd.GeoDataFrame(
            {"kategorie": [p[0] for p in protected], "name": [p[1] for p in protected]},
            geometry=[p[2] for p in protected], crs=CRS)
    if species is not None:
        vectors["species"] = gpd.GeoDataFrame({"art": [s[0] for s in species]},
                                              geometry=[shapely.Point(X0 + s[1][0], Y0 + s[1][1]) for s in species],
                                              crs=CRS)
    layers = make_layers([box(-50, -50, 700, 60)], [], [box(-50, -60, 700, -50)], **vectors)
    out = REGISTRY["naturschutz"](areas, layers, NatureParams(**params))
    assert out.index.equals(areas.index)
    return out


def test_classes_by_category_distance_and_species():
    out = run()
    assert out["naturschutz_klasse"].tolist() == [
        "nicht geeignet", "bedingt geeignet", "bedingt geeignet", "geeignet", "bedingt geeignet", "bedingt geeignet"]
    assert out.loc["A0", "naturschutz_ausschluss_m2"] == pytest.approx(100.0)
    assert "NSG „Bruchwald“" in out.loc["A0", "naturschutz_grund"]
    assert out.loc["A1", "naturschutz_abstand_ausschluss_m"] == pytest.approx(5.0)
    assert "Feuchtwiese" in out.loc["A1", "naturschutz_grund"]
    assert out.loc["A2", "naturschutz_vorpruefung_m2"] == pytest.approx(400.0)
    assert "Vorprüfung" in out.loc["A2", "naturschutz_grund"]
    assert out.loc["A4", "naturschutz_arten_anzahl"] == 1
    assert "Zauneidechse" in out.loc["A4", "naturschutz_grund"]
    assert "Feldhamster" not in out.loc["A4", "naturschutz_grund"]
    assert out.loc["A5", "naturschutz_abstand_ausschluss_m"] == 0.0
    assert out.loc["A5", "naturschutz_ausschluss_m2"] == 0.0


def test_buffers_are_parameters():
    out = run(puffer_ausschluss_m=0.0, puffer_arten_m=70.0)
    assert out.loc["A1", "naturschutz_klasse"] == "geeignet"
    assert out.loc["A4", "naturschutz_arten_anzahl"] == 2
    assert "Feldhamster" in out.loc["A4", "naturschutz_grund"]


def test_missing_layers():
    out = run(protected=None)
    assert out.loc["A4", "naturschutz_klasse"] == "bedingt geeignet"      # a known species conflict
    assert "keine Schutzgebiete angegeben" in out.loc["A4", "naturschutz_grund"]
    assert (out.drop(index="A4")["naturschutz_klasse"] == "nicht bewertet").all()
    out = run(protected=None, species=None)
    assert (out["naturschutz_klasse"] == "nicht bewertet").all()
    out = run(species=None)
    assert out.loc["A0", "naturschutz_klasse"] == "nicht geeignet"
    assert "keine Artnachweise angegeben" in out.loc["A3", "naturschutz_grund"]


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_case_in_sample(on, sample_config, sample_assessment):
    from .test_baeume import check_planted

    check_planted("naturschutz", sample_config, sample_assessment, on=on)
