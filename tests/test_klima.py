"""Climate criterion: overlap shares of small boxes worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.klima import ClimateParams

from .districts import CRS, X0, Y0, make_layers


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


AREAS = [box(0, 0, 20, 20), box(100, 0, 120, 20), box(200, 0, 220, 20), box(300, 0, 320, 20),
         box(400, 0, 420, 20), box(500, 0, 520, 20)]
CLIMATE = [("kaltluftleitbahn", box(18, 0, 40, 20)),      # 2 × 20 = 40 m² = 10 % of A0
           ("kaltluftleitbahn", box(119, 0, 130, 20)),    # 5 % of A1
           ("kaltluftentstehung", box(217, 0, 220, 10)),  # 30 m² = 7.5 % of A2
           ("ueberwaermung", box(300, 0, 310, 20)),       # two overlapping polygons: union 15 × 20 = 75 % of A3
           ("ueberwaermung", box(305, 0, 315, 20)),
           ("Kaltluftentstehung", box(400, 0, 410, 20))]  # 50 % of A4 (case-insensitive)


def run(climate=CLIMATE, **params):
    areas = gpd.GeoDataFrame(geometry=AREAS, crs=CRS, index=[f"A{i}" for i in range(len(AREAS))])
    vectors = {} if climate is None else {"climate": gpd.GeoDataFrame(
        {"funktion": [c[0] for c in climate]}, geometry=[c[1] for c in climate], crs=CRS)}
    layers = make_layers([box(-50, -50, 600, 60)], [], [box(-50, -60, 600, -50)], **vectors)
    out = REGISTRY["klima"](areas, layers, ClimateParams(**params))
    assert out.index.equals(areas.index)
    return out


def test_shares_and_classes():
    out = run()
    assert out["klima_leitbahn_pct"].tolist() == pytest.approx([10, 5, 0, 0, 0, 0])
    assert out["klima_entstehung_pct"].tolist() == pytest.approx([0, 0, 7.5, 0, 50, 0])
    assert out["klima_ueberwaermung_pct"].tolist() == pytest.approx([0, 0, 0, 75, 0, 0])
    assert out["klima_klasse"].tolist() == [
        "nicht geeignet", "bedingt geeignet", "geeignet", "bedingt geeignet", "bedingt geeignet", "geeignet"]
    assert "Kaltluftleitbahn" in out.loc["A0", "klima_grund"]
    assert "Überwärmungsgebiet" in out.loc["A3", "klima_grund"]


def test_thresholds_are_parameters():
    out = run(leitbahn_nicht_ab_pct=5.0, entstehung_bedingt_ab_pct=60.0)
    assert out.loc["A1", "klima_klasse"] == "nicht geeignet"
    assert out.loc["A4", "klima_klasse"] == "geeignet"


def test_missing_layer_is_not_rated():
    out = run(climate=None)
    assert (out["klima_klasse"] == "nicht bewertet").all()
    assert "Klimafunktionskarte" in out["klima_grund"].iloc[0]


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_case_in_sample(on, sample_config, sample_assessment):
    from .test_baeume import check_planted

    check_planted("klima", sample_config, sample_assessment, on=on)
