"""Land use decides where backland may be: code mappings, the rule table, clipping, the three presets."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from nachverdichtung.candidates import CandidateParams, derive_candidates
from nachverdichtung.config import config_from_dict
from nachverdichtung.errors import ConfigError
from nachverdichtung.landuse import CODES, DEFAULT_RULES, OBJEKTARTEN, eligibility, resolve_rules, unknown_codes
from nachverdichtung.layers import load_layers

from .districts import CRS, X0, Y0, kennz, make_layers, street_row


def judge(objektart, attribute=None, code=None, **switches):
    lu = pd.DataFrame({"objektart": [objektart]})
    if attribute:
        lu[attribute] = [code]
    ok, label = eligibility(lu, resolve_rules(**switches))
    return bool(ok[0]), str(label[0])


@pytest.mark.parametrize("objektart, attribute, code, expected", [
    ("ax_wohnbauflaeche", None, None, True),
    ("ax_wohnbauflaeche", "artderbebauung", "2000", True),
    ("ax_flaechegemischternutzung", None, None, True),
    ("ax_flaechegemischternutzung", "funktion", "2100", True),   # Mischnutzung mit Wohnen
    ("ax_flaechegemischternutzung", "funktion", "2120", True),   # Wohnen mit Handel und Dienstleistungen
    ("ax_flaechegemischternutzung", "funktion", "2160", True),   # Gewerbe und Industrie mit Wohnen
    ("ax_flaechegemischternutzung", "funktion", "2730", True),   # Hofreite: Wohnen und Betrieb
    ("ax_flaechegemischternutzung", "funktion", "2720", False),  # Betrieb (ohne Wohnen)
    ("ax_flaechegemischternutzung", "funktion", "6800", False),  # Landwirtschaftliche Betriebsfläche
    ("ax_sportfreizeitunderholungsflaeche", "funktion", "4460", True),   # Garten
    ("ax_sportfreizeitunderholungsflaeche", "funktion", "4440", False),  # Kleingarten (BKleingG)
    ("ax_sportfreizeitunderholungsflaeche", "funktion", "4470", False),  # Spielplatz
    ("ax_sportfreizeitunderholungsflaeche", "funktion", "4120", False),  # Sportplatz
    ("ax_landwirtschaft", "vegetationsmerkmal", "1030", True),   # Gartenland
    ("ax_landwirtschaft", "vegetationsmerkmal", "1010", False),  # Ackerland
    ("ax_landwirtschaft", "vegetationsmerkmal", "1020", False),  # Grünland
    ("ax_landwirtschaft", "vegetationsmerkmal", "1040", False),  # Weingarten
    ("ax_landwirtschaft", "vegetationsmerkmal", "1050", False),  # Obstplantage
    ("ax_landwirtschaft", None, None, False),
    ("ax_flaechebesondererfunktionalerpraegung", "funktion", "1120", False),  # Bildung und Forschung
    ("ax_flaechebesondererfunktionalerpraegung", "funktion", "1140", False),  # Religiöse Einrichtung
    ("ax_flaechebesondererfunktionalerpraegung", "funktion", "1110", False),  # Verwaltung
    ("ax_wald", None, None, False),
    ("ax_gehoelz", None, None, False),
    ("ax_fliessgewaesser", None, None, False),
    ("ax_stehendesgewaesser", None, None, False),
    ("ax_strassenverkehr", None, None, False),
    ("ax_friedhof", "funktion", "9403", False),
    ("ax_industrieundgewerbeflaeche", None, None, False),
])
def test_default_eligibility_by_object_type_and_attribute(objektart, attribute, code, expected):
    assert judge(objektart, attribute, code)[0] is expected


def test_reason_labels_read_as_a_planner_says_them():
    assert judge("ax_landwirtschaft", "vegetationsmerkmal", "1040")[1] == "Weinbaufläche"
    assert judge("ax_landwirtschaft", "vegetationsmerkmal", 1010)[1] == "Ackerland"  # numeric codes too
    assert judge("ax_landwirtschaft", "vegetationsmerkmal", "1050")[1] == "Obstplantage"
    assert judge("ax_wald")[1] == "Wald"
    assert judge("ax_flaechebesondererfunktionalerpraegung", "funktion", "1140")[1].startswith("Kirchengelände")


def test_public_facilities_are_a_switch():
    for code in ("1110", "1120", "1140"):
        assert judge("ax_flaechebesondererfunktionalerpraegung", "funktion", code, public_facilities=True)[0]
    # parking and historic sites stay out even with the switch
    assert not judge("ax_flaechebesondererfunktionalerpraegung", "funktion", "1200", public_facilities=True)[0]
    assert not judge("ax_flaechebesondererfunktionalerpraegung", "funktion", "1300", public_facilities=True)[0]


def test_every_default_rule_names_a_listed_code():
    for key in DEFAULT_RULES:
        parts = key.split(".")
        assert parts[0] in OBJEKTARTEN
        if len(parts) == 3:
            assert parts[2] in CODES[parts[0]][parts[1]], key


def test_config_overrides_and_rejects_unknown_codes():
    rules = resolve_rules({"ax_landwirtschaft.vegetationsmerkmal.1040": True, "ax_wald": True})
    lu = pd.DataFrame({"objektart": ["ax_landwirtschaft", "ax_landwirtschaft", "ax_wald"],
                       "vegetationsmerkmal": ["1040", "1010", None]})
    assert eligibility(lu, rules)[0].tolist() == [True, False, True]
    with pytest.raises(ConfigError, match="1099"):
        resolve_rules({"ax_landwirtschaft.vegetationsmerkmal.1099": True})
    with pytest.raises(ConfigError, match="ax_acker"):
        resolve_rules({"ax_acker": True})
    with pytest.raises(ConfigError, match="true/false"):
        resolve_rules({"ax_wald": "ja"})


def test_names_of_simplified_exports_become_codes():
    # ALKIS vereinfacht carries the attribute value's name in bez, not the code
    lu = pd.DataFrame({"objektart": ["ax_landwirtschaft", "ax_landwirtschaft", "ax_sportfreizeitunderholungsflaeche",
                                     "ax_sportfreizeitunderholungsflaeche"],
                       "merkmal": ["Weingarten", "Gartenland", "Garten", "Spielplatz, Bolzplatz"]})
    ok, label = eligibility(lu, resolve_rules())
    assert ok.tolist() == [False, True, True, False]
    assert label.tolist()[0] == "Weinbaufläche"


def test_class_only_land_use_falls_back_to_the_object_type():
    lu = pd.DataFrame({"nutzung": ["wohnbau", "gemischt", "gruen", "landwirtschaft", "oeffentlich", "xyz"]})
    assert eligibility(lu, resolve_rules())[0].tolist() == [True, True, False, False, False, False]


def test_unknown_codes_are_reported_not_dropped():
    lu = pd.DataFrame({"objektart": ["ax_landwirtschaft"] * 3, "vegetationsmerkmal": ["1099", "1099", "1040"]})
    msgs = unknown_codes(lu)
    assert len(msgs) == 1 and "2 Flächen ax_landwirtschaft" in msgs[0] and "vegetationsmerkmal=1099" in msgs[0]


def strip_village(n=4):
    """``n`` strip parcels 20 x 100 m: house plot (Wohnbaufläche) 0-30 m, then a vineyard 30-100 m."""
    parcels, houses, roads = street_row(n, depth=100.0)
    front = shapely.box(X0, Y0, X0 + 20 * n, Y0 + 30)
    vine = shapely.box(X0, Y0 + 30, X0 + 20 * n, Y0 + 100)
    return parcels, houses, roads, front, vine


def test_backland_is_clipped_to_eligible_land_use_and_the_loss_is_explained():
    parcels, houses, roads, front, vine = strip_village()
    layers = make_layers(parcels, houses, roads, landuse=[front, vine])
    lu = layers.landuse.assign(objektart=["ax_wohnbauflaeche", "ax_landwirtschaft"],
                               vegetationsmerkmal=[None, "1040"])
    res = derive_candidates(layers.replace(landuse=lu), CandidateParams(merge_block_interiors=False,
                                                                        building_line="fixed", front_depth_m=17.0))
    # front zone 17 + 3 = 20 m; house plot ends at 30 m: 10 m x 20 m = 200 m² < 250 m² eligible backland
    assert len(res.areas) == 0 or shapely.area(shapely.intersection(
        shapely.union_all(res.areas.geometry.to_numpy()), vine)) < 0.01
    acc = res.parcels.set_index("flstkennz")
    assert (acc["grund"] == "Hinterland liegt auf Weinbaufläche").all(), acc["grund"].tolist()
    # the same village with the vineyard as Gartenland: the whole backland (20-100 m) is candidate land
    lu2 = lu.assign(vegetationsmerkmal=[None, "1030"])
    res2 = derive_candidates(layers.replace(landuse=lu2), CandidateParams(merge_block_interiors=False,
                                                                          building_line="fixed", front_depth_m=17.0))
    assert len(res2.areas) == 4
    assert res2.areas["flaeche_m2"].max() > 20 * 60


def test_eligible_part_is_kept_when_large_enough():
    parcels, houses, roads, front, vine = strip_village(3)
    # house plot reaches 70 m: 50 m of eligible backland (20-70 m), the rest on arable land
    front, field = shapely.box(X0, Y0, X0 + 60, Y0 + 70), shapely.box(X0, Y0 + 70, X0 + 60, Y0 + 100)
    layers = make_layers(parcels, houses, roads, landuse=[front, field])
    lu = layers.landuse.assign(objektart=["ax_wohnbauflaeche", "ax_landwirtschaft"],
                               vegetationsmerkmal=[None, "1010"])
    res = derive_candidates(layers.replace(landuse=lu), CandidateParams(merge_block_interiors=False,
                                                                        building_line="fixed", front_depth_m=17.0))
    assert len(res.areas) == 3
    # 20 m wide x 50 m (20 → 70 m), opened by 4 m: about 1000 m² each, nothing beyond 70 m
    assert ((res.areas["flaeche_m2"] > 950) & (res.areas["flaeche_m2"] <= 1000.0 + 0.1)).all()
    assert shapely.area(shapely.intersection(shapely.union_all(res.areas.geometry.to_numpy()), field)) < 0.01


def test_settlement_clips_and_outside_parcels_are_aussenbereich():
    parcels, houses, roads, front, vine = strip_village(3)
    parcels.append(shapely.box(X0 + 300, Y0, X0 + 320, Y0 + 100))  # far outside
    inner = gpd.GeoDataFrame(geometry=[shapely.box(X0 - 5, Y0 - 15, X0 + 65, Y0 + 50)], crs=CRS)
    layers = make_layers(parcels, houses, roads, landuse=[shapely.box(X0, Y0, X0 + 400, Y0 + 100)], settlement=inner)
    res = derive_candidates(layers, CandidateParams(merge_block_interiors=False, building_line="fixed",
                                                    front_depth_m=17.0))
    acc = res.parcels.set_index("flstkennz")
    assert acc.loc[kennz(4), "grund"] == "Außenbereich (§ 35 BauGB)"
    # inside parcels keep only 20-50 m (30 m deep) of backland, the rest lies outside the Innenbereich
    assert len(res.areas) == 3 and (res.areas["flaeche_m2"] <= 20 * 30 + 0.1).all()


def _write_layers(folder: Path, frames: dict, encoding="UTF-8"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, gdf in frames.items():
        gdf.to_file(folder / f"{name}.shp", encoding=encoding)
    return folder


def _cadastre(n=3):
    parcels, houses, roads = street_row(n, depth=100.0)
    p = gpd.GeoDataFrame({"flurstueck": [kennz(i + 1) for i in range(n)]}, geometry=parcels, crs=CRS)
    b = gpd.GeoDataFrame({"gebaeudefu": [1010] * n}, geometry=houses, crs=CRS)
    r = gpd.GeoDataFrame({"name": ["Weinstraße"]}, geometry=roads, crs=CRS)
    return p, b, r


def test_ax_shapefile_with_10_character_names_and_geopackage_give_the_same_judgement(tmp_path):
    p, b, r = _cadastre()
    front, vine = shapely.box(X0, Y0, X0 + 60, Y0 + 40), shapely.box(X0, Y0 + 40, X0 + 60, Y0 + 100)
    short = _write_layers(tmp_path / "shp", {
        "ax_flurstueck": p, "ax_gebaeude": b, "ax_strassenverkehr": r,
        "ax_wohnbauflaeche": gpd.GeoDataFrame({"artderbeba": [1000]}, geometry=[front], crs=CRS),
        "ax_landwirtschaft": gpd.GeoDataFrame({"vegetation": [1040]}, geometry=[vine], crs=CRS)})
    gpkg = tmp_path / "alkis.gpkg"
    for name, gdf in {"ax_flurstueck": p.rename(columns={"flurstueck": "flurstueckskennzeichen"}),
                      "ax_gebaeude": b.rename(columns={"gebaeudefu": "gebaeudefunktion"}), "ax_strassenverkehr": r,
                      "ax_wohnbauflaeche": gpd.GeoDataFrame({"artderbebauung": [1000]}, geometry=[front], crs=CRS),
                      "ax_landwirtschaft": gpd.GeoDataFrame({"vegetationsmerkmal": [1040]}, geometry=[vine],
                                                            crs=CRS)}.items():
        gdf.to_file(gpkg, layer=name)
    for path in (short, gpkg):
        layers = load_layers(config_from_dict({"alkis": {"path": str(path), "preset": "ax"}}))
        lu = layers.landuse.sort_values("objektart")
        lu = lu[lu["objektart"] != "ax_strassenverkehr"]  # the street is land use too
        assert lu["objektart"].tolist() == ["ax_landwirtschaft", "ax_wohnbauflaeche"]
        assert eligibility(lu, resolve_rules())[0].tolist() == [False, True]


def test_vereinfacht_nutzung_with_bez(tmp_path):
    parcels, houses, roads = street_row(3, depth=100.0)
    folder = _write_layers(tmp_path / "v", {
        "Flurstueck": gpd.GeoDataFrame({"flstkennz": [kennz(i + 1) for i in range(3)]}, geometry=parcels, crs=CRS),
        "GebaeudeBauwerk": gpd.GeoDataFrame({"gfkzshh": ["31001_1010"] * 3}, geometry=houses, crs=CRS),
        "Nutzung": gpd.GeoDataFrame({"nutzart": ["Straßenverkehr", "Wohnbaufläche", "Landwirtschaft"],
                                     "bez": ["Weinstraße", "", "Weingarten"]},
                                    geometry=[roads[0], shapely.box(X0, Y0, X0 + 60, Y0 + 40),
                                              shapely.box(X0, Y0 + 40, X0 + 60, Y0 + 100)], crs=CRS)},
        encoding="cp1252")
    layers = load_layers(config_from_dict({"alkis": {"path": str(folder), "preset": "vereinfacht"}}))
    lu = layers.landuse.sort_values("objektart")
    lu = lu[lu["objektart"] != "ax_strassenverkehr"]  # the street is land use too (Nutzung layer)
    assert lu["objektart"].tolist() == ["ax_landwirtschaft", "ax_wohnbauflaeche"]
    ok, label = eligibility(lu, resolve_rules())
    assert ok.tolist() == [False, True] and label[0] == "Weinbaufläche"
