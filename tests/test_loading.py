"""Loading ALKIS deliveries: both presets, truncated fields, encodings, reprojection, errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from nachverdichtung.config import config_from_dict
from nachverdichtung.errors import ConfigError, CRSError, InputError
from nachverdichtung.layers import load_layers, parse_flstkennz

from .districts import CRS, X0, Y0, kennz, street_row


def write_ax(folder: Path, *, crs: str = CRS, street: str = "Hauptstraße", encoding: str = "UTF-8",
             keep_cpg: bool = True) -> Path:
    """The 3-parcel street row as ax_* Shapefiles with the truncated 10-character field names."""
    folder.mkdir(parents=True, exist_ok=True)
    parcels, houses, roads = street_row(3)
    frames = {
        "ax_flurstueck": gpd.GeoDataFrame({"flurstueck": [kennz(i + 1, 2 if i == 0 else 0) for i in range(3)],
                                           "gemarkungs": "2566", "flurnummer": 1, "zaehler": [1, 2, 3],
                                           "nenner": [2, 0, 0], "amtlichefl": 1200.0}, geometry=parcels, crs=CRS),
        "ax_gebaeude": gpd.GeoDataFrame({"gebaeudefu": [1010, 2463, 2000], "anzahldero": 2}, geometry=houses, crs=CRS),
        "ax_strassenverkehr": gpd.GeoDataFrame({"name": [street]}, geometry=roads, crs=CRS),
        "ax_wohnbauflaeche": gpd.GeoDataFrame({"name": ["Wohnen"]}, geometry=[shapely.box(X0, Y0, X0 + 40, Y0 + 60)],
                                              crs=CRS),
        "ax_flaechegemischternutzung": gpd.GeoDataFrame({"name": ["Misch"]},
                                                        geometry=[shapely.box(X0 + 40, Y0, X0 + 60, Y0 + 60)], crs=CRS),
    }
    for name, gdf in frames.items():
        path = folder / f"{name}.shp"
        gdf.to_crs(crs).to_file(path, encoding=encoding)
        if not keep_cpg:
            path.with_suffix(".cpg").unlink(missing_ok=True)
    return folder


def write_vereinfacht(folder: Path, *, encoding: str = "cp1252") -> Path:
    """AdV 'vereinfacht' naming, cp1252 without .cpg, buildings in the Brandenburg typo layer."""
    folder.mkdir(parents=True, exist_ok=True)
    parcels, houses, roads = street_row(3)
    frames = {
        "Flurstueck": gpd.GeoDataFrame({"flstkennz": [kennz(i + 1) for i in range(3)], "gemarkung": "2566",
                                        "flur": "001", "flstnrzae": ["1", "2", "3"], "flstnrnen": ["", "", ""],
                                        "flaeche": 1200.0, "lagebeztxt": ["Hauptstraße 1", "Hauptstraße 3",
                                                                          "Mühlweg 2"]}, geometry=parcels, crs=CRS),
        "GebauedeBauwerk": gpd.GeoDataFrame({"gebnutzbez": "Wohnhaus", "funktion": "Wohnhaus",
                                             "gfkzshh": ["31001_1010", "31001_2463", "31001_1010"], "anzahlgs": 2},
                                            geometry=houses, crs=CRS),
        "Nutzung": gpd.GeoDataFrame({"nutzart": ["Straßenverkehr", "Wohnbaufläche"], "bez": ["Hauptstraße", ""]},
                                    geometry=[roads[0], shapely.box(X0, Y0, X0 + 60, Y0 + 60)], crs=CRS),
    }
    for name, gdf in frames.items():
        path = folder / f"{name}.shp"
        gdf.to_file(path, encoding=encoding)
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return folder


def cfg(path: Path, **alkis):
    return config_from_dict({"alkis": {"path": str(path), **alkis}})


def test_ax_preset_with_truncated_fields(tmp_path):
    layers = load_layers(cfg(write_ax(tmp_path / "ax"), preset="ax"))
    p = layers.parcels.sort_values("flstkennz")
    assert p["flstkennz"].tolist() == [kennz(1, 2), kennz(2), kennz(3)]
    assert p["zaehler"].tolist() == [1, 2, 3]
    assert p["nenner"].isna().tolist() == [False, True, True]
    assert layers.buildings["funktion"].tolist() == [1010, 2463, 2000]
    assert layers.buildings["kategorie"].tolist() == ["haupt", "neben", "gewerbe"]
    assert layers.roads["art"].tolist() == ["strassenverkehr"]
    assert layers.roads["name"].tolist() == ["Hauptstraße"]
    assert sorted(layers.landuse["nutzung"]) == ["gemischt", "verkehr", "wohnbau"]


def test_auto_detects_preset(tmp_path):
    layers = load_layers(cfg(write_ax(tmp_path / "ax")))
    assert len(layers.parcels) == 3


def test_vereinfacht_cp1252_without_cpg_and_typo_layer(tmp_path):
    folder = write_vereinfacht(tmp_path / "v")
    assert not list(folder.glob("*.cpg"))
    assert b"\xdf" in (folder / "Nutzung.dbf").read_bytes()  # 'ß' in cp1252
    layers = load_layers(cfg(folder, preset="vereinfacht"))
    assert layers.roads["name"].tolist() == ["Hauptstraße"]
    assert layers.landuse["nutzung"].tolist() == ["verkehr", "wohnbau"]
    assert layers.buildings["funktion"].tolist() == [1010, 2463, 1010]  # from the AdV key "31001_1010"
    assert layers.parcels["zaehler"].tolist() == [1, 2, 3]


def test_ax_cp1252_without_cpg(tmp_path):
    folder = write_ax(tmp_path / "ax", encoding="cp1252", keep_cpg=False)
    layers = load_layers(cfg(folder))
    assert layers.roads["name"].tolist() == ["Hauptstraße"]


def test_encoding_override(tmp_path):
    folder = write_ax(tmp_path / "ax", encoding="cp1252", keep_cpg=False)
    layers = load_layers(cfg(folder, encoding="latin1"))
    assert layers.roads["name"].tolist() == ["Hauptstraße"]


def test_reprojection_from_gauss_krueger(tmp_path):
    folder = write_ax(tmp_path / "gk", crs="EPSG:31467")
    layers = load_layers(cfg(folder))
    assert layers.parcels.crs.to_epsg() == 25832
    # parcel 1 is the box (X0, Y0, X0+20, Y0+60); the round trip through GK3 keeps it within 1 cm
    p1 = layers.parcels.set_index("flstkennz").geometry[kennz(1, 2)]
    assert p1.symmetric_difference(shapely.box(X0, Y0, X0 + 20, Y0 + 60)).area < 0.05
    assert abs(p1.area - 1200.0) < 0.01


def test_missing_crs_is_clear_error_unless_configured(tmp_path):
    folder = write_ax(tmp_path / "noprj")
    for prj in folder.glob("*.prj"):
        prj.unlink()
    with pytest.raises(CRSError, match=r"ax_flurstueck\.shp.*kein Koordinatensystem.*crs: EPSG:25832"):
        load_layers(cfg(folder))
    layers = load_layers(cfg(folder, crs="EPSG:25832"))
    assert len(layers.parcels) == 3


def test_wrong_crs_names_the_likely_one(tmp_path):
    folder = write_ax(tmp_path / "wrong", crs="EPSG:31467")
    for prj in folder.glob("*.prj"):
        prj.unlink()
    with pytest.raises(CRSError, match=r"Gauß-Krüger.*EPSG:31467"):
        load_layers(cfg(folder, crs="EPSG:25832"))


def test_missing_required_field_names_file_and_fix(tmp_path):
    folder = write_ax(tmp_path / "ax")
    gdf = gpd.read_file(folder / "ax_gebaeude.shp").rename(columns={"gebaeudefu": "funktionxx"})
    gdf.to_file(folder / "ax_gebaeude.shp")
    with pytest.raises(InputError, match=r"ax_gebaeude\.shp.*Pflichtfeld 'funktion' fehlt.*alkis\.fields\.buildings"):
        load_layers(cfg(folder))


def test_user_field_mapping_overrides_preset(tmp_path):
    folder = write_ax(tmp_path / "ax")
    gdf = gpd.read_file(folder / "ax_gebaeude.shp").rename(columns={"gebaeudefu": "gfk"})
    gdf.to_file(folder / "ax_gebaeude.shp")
    layers = load_layers(cfg(folder, fields={"buildings": {"funktion": "gfk"}}))
    assert layers.buildings["funktion"].tolist() == [1010, 2463, 2000]


def test_missing_layer_lists_available(tmp_path):
    folder = write_ax(tmp_path / "ax")
    for f in folder.glob("ax_gebaeude.*"):
        f.unlink()
    with pytest.raises(InputError, match=r"Gebäude: Layer ax_gebaeude nicht vorhanden \(vorhanden: .*ax_flurstueck"):
        load_layers(cfg(folder, preset="ax"))


def test_geopackage_with_full_field_names(tmp_path):
    parcels, houses, roads = street_row(2)
    path = tmp_path / "alkis.gpkg"
    gpd.GeoDataFrame({"flurstueckskennzeichen": [kennz(1), kennz(2)], "amtlicheflaeche": 1200.0},
                     geometry=parcels, crs=CRS).to_file(path, layer="ax_flurstueck")
    gpd.GeoDataFrame({"gebaeudefunktion": [1000, 1313], "anzahlderoberirdischengeschosse": [2, 1]},
                     geometry=houses, crs=CRS).to_file(path, layer="ax_gebaeude")
    gpd.GeoDataFrame({"name": ["Am Mühlbach"]}, geometry=roads, crs=CRS).to_file(path, layer="ax_strassenverkehr")
    gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.box(X0, Y0, X0 + 40, Y0 + 60)], crs=CRS).to_file(
        path, layer="ax_wohnbauflaeche")
    layers = load_layers(cfg(path))
    assert layers.parcels["gemarkung"].tolist() == ["2566", "2566"]  # parsed from the 20-character id
    assert layers.buildings["geschosse"].tolist() == [2, 1]
    assert layers.buildings["kategorie"].tolist() == ["haupt", "neben"]
    assert layers.roads["name"].tolist() == ["Am Mühlbach"]


def test_invalid_geometry_repaired_and_duplicates_resolved(tmp_path):
    folder = write_ax(tmp_path / "ax")
    gdf = gpd.read_file(folder / "ax_flurstueck.shp")
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 20, Y0 + 60), (X0 + 20, Y0), (X0, Y0 + 60)])
    gdf.loc[0, "geometry"] = bowtie
    gdf = gpd.GeoDataFrame(np.concatenate([gdf.to_numpy(), gdf.iloc[[1]].to_numpy()]), columns=gdf.columns,
                           geometry="geometry", crs=gdf.crs)
    gdf.to_file(folder / "ax_flurstueck.shp")
    layers = load_layers(cfg(folder))
    assert any("ungültige Geometrien repariert" in p for p in layers.problems)
    assert any("doppelt gelieferte" in p for p in layers.problems)
    assert len(layers.parcels) == 3  # duplicate with identical geometry removed …
    assert layers.excluded_parcels["grund"].str.contains("doppelt").sum() == 1  # … but accounted for
    assert layers.parcels.geometry.is_valid.all()


def test_parse_flstkennz():
    df = parse_flstkennz(gpd.pd.Series(["072566001001230004__", "07256600200007______"]))
    assert df["gemarkung"].tolist() == ["2566", "2566"]
    assert df["flur"].tolist() == [1, 2]
    assert df["zaehler"].tolist() == [123, 7]
    assert df["nenner"].tolist()[0] == 4 and df["nenner"].isna().tolist()[1]


@pytest.mark.parametrize(("data", "pattern"), [
    ({"alkis": {"path": "x"}, "kriterien": {}}, r"unbekannter Abschnitt 'kriterien'.*erlaubt sind"),
    ({"alkis": {"path": "x", "prest": "ax"}}, r"'alkis': unbekannter Schlüssel 'prest'.*erlaubt sind: .*preset"),
    ({"alkis": {"path": "x"}, "criteria": {"topographie": {"bedingt_ab_pct": "zehn"}}},
     r"'criteria.topographie.bedingt_ab_pct': erwartet Zahl"),
    ({"alkis": {"path": "x"}, "criteria": {"topographie": {"bedingt_ab_pct": -5}}},
     r"criteria.topographie.bedingt_ab_pct.*außerhalb des zulässigen Bereichs"),
    ({"alkis": {"path": "x"}, "criteria": {"steilheit": {}}}, r"unbekanntes Kriterium 'steilheit'.*bekannt sind: .*topographie"),
    ({"alkis": {"path": "x", "preset": "bayern"}}, r"'alkis.preset': unzulässiger Wert 'bayern'.*einer von"),
    ({"crs": "EPSG:4326", "alkis": {"path": "x"}}, r"nicht metrisch projiziert"),
    ({"inputs": {}}, r"Abschnitt 'alkis' fehlt"),
])
def test_config_errors_name_file_key_and_fix(tmp_path, data, pattern):
    with pytest.raises(ConfigError, match=pattern) as exc:
        config_from_dict(data, file=tmp_path / "config.yml")
    assert "config.yml" in str(exc.value) and "Lösung:" in str(exc.value)
    assert "\n" not in str(exc.value)
