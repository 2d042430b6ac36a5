"""Heavy-rain criterion and the DEM fallback: 3 × 3 rasters and small DEMs worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.starkregen import QUELLE_DGM, QUELLE_KARTE, RainParams
from nachverdichtung.hydrology import fill_depressions, sinks_and_flow
from nachverdichtung.io.raster import open_raster_source

from .districts import CRS, X0, Y0, make_layers

DEPTH = np.array([[0.0, 0.05, 0.2], [0.3, 0.6, 0.8], [0.0, 0.0, 0.0]])  # row 0 = north (y 2..3)
VELO = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [2.5, 0.1, 0.1]])


def write(path, data):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype="float32", crs=CRS, transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0 + data.shape[0]),
                       nodata=-9999.0) as ds:
        ds.write(data.astype(np.float32), 1)
    return open_raster_source(path)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def run(tmp_path, area_geoms, *, depth=None, velo=None, dem=None, lines=None, **params):
    areas = gpd.GeoDataFrame(geometry=list(area_geoms), crs=CRS, index=[f"A{i}" for i in range(len(area_geoms))])
    vectors = {} if lines is None else {"flow_paths": gpd.GeoDataFrame(geometry=lines, crs=CRS)}
    layers = make_layers([box(-20, -20, 40, 40)], [], [box(-20, -30, 40, -20)], **vectors)
    rasters = {}
    for name, data in (("rain_depth", depth), ("rain_velocity", velo), ("dem", dem)):
        if data is not None:
            rasters[name] = write(tmp_path / f"{name}.tif", data)
    out = REGISTRY["starkregen"](areas, layers.replace(rasters=rasters), RainParams(**params))
    assert out.index.equals(areas.index)
    return out


def test_depth_statistics_and_classes(tmp_path):
    out = run(tmp_path, [box(0, 0, 3, 3), box(0, 0, 3, 1), box(0, 2, 3, 3)], depth=DEPTH)
    a = out.loc["A0"]
    assert a["starkregen_tiefe_max_m"] == pytest.approx(0.8)
    assert a["starkregen_tiefe_p90_m"] == pytest.approx(0.64)    # sorted …0.3 0.6 0.8: 0.6 + 0.2 · 0.2
    assert a["starkregen_anteil_gt_10cm_pct"] == pytest.approx(400 / 9)
    assert a["starkregen_anteil_gt_50cm_pct"] == pytest.approx(200 / 9)
    assert out["starkregen_klasse"].tolist() == ["nicht geeignet", "geeignet", "bedingt geeignet"]
    assert out.loc["A2", "starkregen_tiefe_p90_m"] == pytest.approx(0.17)  # 0.05 + 0.8 · 0.15
    assert (out["starkregen_quelle"] == QUELLE_KARTE).all()
    assert "keine Fließgeschwindigkeit" in out.loc["A1", "starkregen_grund"]


def test_velocity_raises_the_class(tmp_path):
    out = run(tmp_path, [box(0, 0, 3, 1), box(0, 2, 3, 3), box(0, 1, 3, 2)], depth=np.zeros((3, 3)), velo=VELO)
    assert out["starkregen_geschwindigkeit_max_ms"].tolist() == pytest.approx([2.5, 0.3, 0.6])
    assert out["starkregen_klasse"].tolist() == ["nicht geeignet", "geeignet", "bedingt geeignet"]
    assert "2,5 m/s > 2,0 m/s" in out.loc["A0", "starkregen_grund"]


def test_flow_path_makes_it_at_least_bedingt(tmp_path):
    line = shapely.LineString([(X0 - 5, Y0 + 0.5), (X0 + 10, Y0 + 0.5)])
    out = run(tmp_path, [box(0, 0, 3, 1), box(0, 2, 3, 3)], depth=np.zeros((3, 3)), lines=[line])
    assert out["starkregen_fliessweg_m"].tolist() == pytest.approx([3.0, 0.0])
    assert out["starkregen_klasse"].tolist() == ["bedingt geeignet", "geeignet"]
    assert "Fließweg quert die Fläche (3 m)" in out.loc["A0", "starkregen_grund"]
    # without any raster a crossing flow path still counts; the other area is not rated
    out = run(tmp_path, [box(0, 0, 3, 1), box(0, 2, 3, 3)], lines=[line])
    assert out["starkregen_klasse"].tolist() == ["bedingt geeignet", "nicht bewertet"]


def test_partial_coverage(tmp_path):
    # box(1, 0, 5, 3): 12 pixel centres, 6 covered (cols 1, 2) -> p90 of 0 0 .05 .2 .6 .8 = 0.7: decides
    # box(-2, 0, 1, 1): 3 centres, 1 covered (0.0) -> not rated with the covered share
    out = run(tmp_path, [box(1, 0, 5, 3), box(-2, 0, 1, 1)], depth=DEPTH)
    assert out.loc["A0", "starkregen_abdeckung_pct"] == pytest.approx(50.0)
    assert out.loc["A0", "starkregen_klasse"] == "nicht geeignet"
    assert out.loc["A1", "starkregen_klasse"] == "nicht bewertet"
    assert "33 %" in out.loc["A1", "starkregen_grund"]


def test_nothing_given_is_not_rated(tmp_path):
    out = run(tmp_path, [box(0, 0, 3, 3)])
    assert out["starkregen_klasse"].tolist() == ["nicht bewertet"]


def test_dem_fallback(tmp_path):
    x = np.arange(21.0)
    dem = np.tile(10 + 0.05 * x, (21, 1))       # rises 5 cm per metre eastwards
    dem[9:12, 9:12] = 8.0                       # a 3 × 3 pit; it spills westwards at 10 + 0.05 · 8 = 10.4 m
    out = run(tmp_path, [box(9, 9, 12, 12), box(0, 0, 3, 3)], dem=dem)
    assert (out["starkregen_quelle"] == QUELLE_DGM).all()
    assert out.loc["A0", "starkregen_senke_p90_m"] == pytest.approx(2.4, abs=1e-5)
    assert out.loc["A0", "starkregen_klasse"] == "nicht geeignet"
    assert out.loc["A1", "starkregen_senke_max_m"] == pytest.approx(0.0, abs=1e-5)
    assert out.loc["A1", "starkregen_klasse"] == "geeignet"
    assert all("abgeleitet aus DGM" in g for g in out["starkregen_grund"])
    off = run(tmp_path, [box(9, 9, 12, 12)], dem=dem, dgm_ersatz=False)
    assert off["starkregen_klasse"].tolist() == ["nicht bewertet"]


def test_fill_matches_hand_example():
    z = np.array([[5, 5, 5, 5, 5],
                  [5, 1, 2, 3, 5],
                  [5, 2, 5, 5, 5],
                  [5, 5, 5, 4, 5],
                  [5, 5, 5, 5, 5]], float)
    f = fill_depressions(z)
    # the basin 1-2-2-3 spills at 5 (its whole rim is 5); the cell 4 is enclosed by 5s too
    assert f[1, 1] == f[1, 2] == f[2, 1] == f[1, 3] == 5.0
    assert f[3, 3] == 5.0
    z[0, 2] = 2.5                               # open the rim: the basin now spills at 2.5
    f = fill_depressions(z)
    assert f[1, 1] == f[1, 2] == f[2, 1] == 2.5 and f[1, 3] == 3.0


def test_flow_accumulation_on_a_plane():
    z = np.tile(10.0 - np.arange(6.0), (4, 1))  # falls 1 m per 1 m pixel eastwards: everything flows east
    acc = sinks_and_flow(z, (1.0, 1.0))["abfluss"]
    np.testing.assert_allclose(acc, np.tile(np.arange(1.0, 7.0), (4, 1)))
    assert np.nanmax(sinks_and_flow(z, (1.0, 1.0))["senke"]) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_case_in_sample(on, sample_config, sample_assessment):
    from .test_baeume import check_planted

    check_planted("starkregen", sample_config, sample_assessment, on=on)


def test_nodata_as_dry(tmp_path):
    depth = DEPTH.copy()
    depth[2, :] = -9999.0                       # dry cells left empty, as some hazard maps do
    out = run(tmp_path, [box(0, 0, 3, 1), box(0, 0, 3, 3)], depth=depth)
    assert out["starkregen_klasse"].tolist() == ["nicht bewertet", "nicht geeignet"]
    dry = run(tmp_path, [box(0, 0, 3, 1), box(0, 0, 3, 3), box(-3, 0, 3, 1)], depth=depth, nodata_ist_trocken=True)
    assert dry["starkregen_klasse"].tolist() == ["geeignet", "nicht geeignet", "nicht bewertet"]
    assert dry["starkregen_abdeckung_pct"].tolist() == pytest.approx([100.0, 100.0, 50.0])
    assert dry.loc["A1", "starkregen_tiefe_p90_m"] == pytest.approx(0.64)
