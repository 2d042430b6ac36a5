"""Noise criterion: 3 × 3 noise rasters, noise polygons and the distance substitute, by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.immissionen import QUELLE_ABSTAND, QUELLE_POLY, QUELLE_RASTER, NoiseParams
from nachverdichtung.io.raster import open_raster_source

from .districts import CRS, X0, Y0, make_layers

LDEN = np.array([[70.0] * 3, [60.0] * 3, [50.0] * 3])   # row 0 = north (y 2..3)


def write(path, data):
    with rasterio.open(path, "w", driver="GTiff", width=3, height=3, count=1, dtype="float32", crs=CRS,
                       transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0 + 3), nodata=-9999.0) as ds:
        ds.write(data.astype(np.float32), 1)
    return open_raster_source(path)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def run(area_geoms, *, rasters=None, landuse=None, **vectors_and_params):
    params = {k: v for k, v in vectors_and_params.items() if k in NoiseParams.__dataclass_fields__}
    vectors = {k: v for k, v in vectors_and_params.items() if k not in params}
    areas = gpd.GeoDataFrame(geometry=list(area_geoms), crs=CRS, index=[f"A{i}" for i in range(len(area_geoms))])
    layers = make_layers([box(-200, -200, 200, 200)], [], [box(-200, -210, 200, -200)], landuse=landuse, **vectors)
    if landuse is not None:
        layers = layers.replace(landuse=layers.landuse.assign(nutzung=["wohnbau", "gewerbe"]))
    out = REGISTRY["immissionen"](areas, layers.replace(rasters=rasters or {}), NoiseParams(**params))
    assert out.index.equals(areas.index)
    return out


def test_rasters(tmp_path):
    rasters = {"noise_lden": write(tmp_path / "lden.tif", LDEN), "noise_night": write(tmp_path / "ln.tif", LDEN - 10)}
    out = run([box(0, 2, 3, 3), box(0, 1, 3, 2), box(0, 0, 3, 1), box(0, 0, 3, 3), box(1, 0, 5, 1)], rasters=rasters)
    assert out["immissionen_lden_mittel_db"].iloc[:4].tolist() == pytest.approx([70, 60, 50, 60])
    assert out["immissionen_lnight_mittel_db"].iloc[:4].tolist() == pytest.approx([60, 50, 40, 50])
    assert out.loc["A3", "immissionen_lden_max_db"] == 70
    assert out["immissionen_klasse"].tolist() == [
        "nicht geeignet", "bedingt geeignet", "geeignet", "bedingt geeignet", "nicht bewertet"]
    assert out.loc["A4", "immissionen_abdeckung_pct"] == pytest.approx(50.0)
    assert "50 %" in out.loc["A4", "immissionen_grund"]
    assert (out["immissionen_quelle"] == QUELLE_RASTER).all()
    by_max = run([box(0, 0, 3, 3)], rasters=rasters, kennwert="max")
    assert by_max["immissionen_klasse"].tolist() == ["nicht geeignet"]
    # night alone decides: L_Night 55 with L_DEN 60
    night_only = run([box(0, 1, 3, 2)], rasters={"noise_night": write(tmp_path / "n2.tif", LDEN - 5)})
    assert night_only["immissionen_klasse"].tolist() == ["nicht geeignet"]


def test_polygons_area_weighted():
    noise = gpd.GeoDataFrame({"lden_db": [70.0, 56.0], "lnight_db": [60.0, 44.0]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=CRS)
    out = run([box(5, 0, 15, 10), box(15, 0, 25, 10), box(50, 50, 60, 60)], noise_areas=noise)
    assert out["immissionen_lden_mittel_db"].iloc[:2].tolist() == pytest.approx([63.0, 56.0])
    assert out["immissionen_lnight_mittel_db"].iloc[:2].tolist() == pytest.approx([52.0, 44.0])
    assert out.loc["A0", "immissionen_lden_max_db"] == 70
    assert out["immissionen_abdeckung_pct"].tolist() == pytest.approx([100.0, 50.0, 0.0])
    assert out["immissionen_klasse"].tolist() == ["bedingt geeignet", "bedingt geeignet", "nicht bewertet"]
    assert (out["immissionen_quelle"] == QUELLE_POLY).all()


def test_distance_substitute():
    rail = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 - 100, Y0 + 30), (X0 + 100, Y0 + 30)])], crs=CRS)
    landuse = [box(-200, -200, 200, 200), box(150, -100, 190, -60)]
    out = run([box(0, 0, 20, 20), box(0, -100, 20, -80), box(120, -100, 140, -80)], railways=rail, landuse=landuse)
    assert out["immissionen_abstand_quelle_m"].tolist() == pytest.approx([10.0, 110.0, 10.0])
    assert out["immissionen_klasse"].tolist() == ["bedingt geeignet", "geeignet", "bedingt geeignet"]
    assert "Bahnstrecke" in out.loc["A0", "immissionen_grund"]
    assert "Gewerbe" in out.loc["A2", "immissionen_grund"]
    assert out["immissionen_grund"].str.contains("Ersatzwert").all()
    assert (out["immissionen_quelle"] == QUELLE_ABSTAND).all()


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_case_in_sample(on, sample_config, sample_assessment):
    from .test_baeume import check_planted

    check_planted("immissionen", sample_config, sample_assessment, on=on)
