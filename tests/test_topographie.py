"""Slope (Topographie): analytic planes and agreement with ``gdaldem slope`` (Horn)."""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from nachverdichtung.criteria import REGISTRY
from nachverdichtung.criteria.base import BEDINGT, GEEIGNET, NICHT, UNBEWERTET
from nachverdichtung.io.raster import open_raster_source
from nachverdichtung.terrain import horn_slope_pct

from .districts import CRS, X0, Y0, make_layers
from .test_erschliessung import check_planted

crit = REGISTRY["topographie"]
SIZE = 120  # pixels of 1 m; the DEM covers X0 … X0 + 120, Y0 … Y0 + 120


def write_dem(path, z):
    with rasterio.open(path, "w", driver="GTiff", width=z.shape[1], height=z.shape[0], count=1, dtype="float32",
                       crs=CRS, transform=Affine(1.0, 0.0, X0, 0.0, -1.0, Y0 + z.shape[0]), nodata=-9999.0) as ds:
        ds.write(z.astype("float32")[None])
    return open_raster_source(path, name="dem")


def grid():
    """Pixel-centre coordinates (x east, y north) relative to X0/Y0; row 0 is north."""
    c = np.arange(SIZE) + 0.5
    return np.meshgrid(c, SIZE - c)


def rate(dem, areas):
    layers = make_layers([shapely.box(X0, Y0, X0 + SIZE, Y0 + SIZE)], [], [shapely.box(X0, Y0 - 10, X0 + SIZE, Y0)])
    layers = layers.replace(rasters={"dem": dem})
    cand = gpd.GeoDataFrame({"flurstuecke": [""] * len(areas)}, geometry=list(areas), crs=CRS,
                            index=[f"f{i}" for i in range(len(areas))])
    return crit(cand, layers)


@pytest.mark.parametrize("a, b, klasse", [(0.08, 0.06, GEEIGNET), (0.12, 0.05, BEDINGT), (0.0, -0.3, NICHT)])
def test_tilted_plane_matches_analytic_slope(tmp_path, a, b, klasse):
    x, y = grid()
    dem = write_dem(tmp_path / "plane.tif", 200 + a * x + b * y)
    area = shapely.box(X0 + 20.3, Y0 + 30.3, X0 + 70.7, Y0 + 90.7)
    r = rate(dem, [area]).iloc[0]
    expected = 100 * np.hypot(a, b)  # 10 %, 13 %, 30 %
    for col in ("neigung_mittel_pct", "neigung_p90_pct", "neigung_max_pct"):
        assert r[f"topographie_{col}"] == pytest.approx(expected, rel=1e-3)
    assert r["topographie_neigung_mittel_grad"] == pytest.approx(np.degrees(np.arctan(expected / 100)), rel=1e-3)
    # pixel centres inside: x 20.5 … 70.5, y 30.5 … 90.5, so the elevation range is 50 a + 60 b
    assert r["topographie_hoehenunterschied_m"] == pytest.approx(abs(a) * 50 + abs(b) * 60, rel=1e-3)
    assert r["topographie_abdeckung_pct"] == pytest.approx(100.0)
    if klasse == GEEIGNET:
        # exactly 10 % (float32 elevations) sits on the threshold; either side is acceptable only if
        # the value itself is within 0.1 %
        assert r["topographie_klasse"] in (GEEIGNET, BEDINGT)
    else:
        assert r["topographie_klasse"] == klasse


def test_reason_names_value_and_threshold(tmp_path):
    x, y = grid()
    dem = write_dem(tmp_path / "steep.tif", 100 + 0.25 * x)
    r = rate(dem, [shapely.box(X0 + 20, Y0 + 20, X0 + 60, Y0 + 60)]).iloc[0]
    assert r["topographie_klasse"] == NICHT
    assert r["topographie_grund"] == "mittlere Neigung 25,0 % > 20 %"


def test_area_partly_outside_the_dem_is_not_rated(tmp_path):
    x, y = grid()
    dem = write_dem(tmp_path / "flat.tif", 100 + 0.01 * x)
    # half of this area lies west of the DEM
    r = rate(dem, [shapely.box(X0 - 30, Y0 + 20, X0 + 30, Y0 + 60)]).iloc[0]
    assert r["topographie_klasse"] == UNBEWERTET
    assert r["topographie_grund"].startswith("DGM deckt nur")


def hills():
    """Sum of Gaussian hills on a gentle plane: slopes up to about 35 %, every direction present."""
    x, y = grid()
    z = 250 + 0.02 * x
    for cx, cy, h, s in ((40, 50, 12.0, 18.0), (85, 80, -8.0, 12.0), (70, 30, 6.0, 9.0), (20, 100, 5.0, 14.0)):
        z = z + h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
    return z


def gdaldem(src, dst, *extra):
    subprocess.run(["gdaldem", "slope", *extra, "-q", str(src), str(dst)], check=True, capture_output=True)
    with rasterio.open(dst) as ds:
        out = ds.read(1).astype(float)
        if ds.nodata is not None:
            out[out == ds.nodata] = np.nan
    return out


needs_gdaldem = pytest.mark.skipif(shutil.which("gdaldem") is None,
                                   reason="gdaldem (Debian gdal-bin) not installed")


@needs_gdaldem
def test_horn_slope_equals_gdaldem_per_pixel(tmp_path):
    z = hills()
    write_dem(tmp_path / "hills.tif", z)
    deg = gdaldem(tmp_path / "hills.tif", tmp_path / "deg.tif")
    pct = gdaldem(tmp_path / "hills.tif", tmp_path / "pct.tif", "-p")
    with rasterio.open(tmp_path / "hills.tif") as ds:
        ours_pct = horn_slope_pct(ds.read(1).astype(float), (1.0, 1.0))
    inner = np.s_[1:-1, 1:-1]
    assert np.isfinite(deg[inner]).all() and np.isnan(ours_pct[0]).all()
    ours_deg = np.degrees(np.arctan(ours_pct / 100))
    assert np.nanmax(np.abs(ours_deg[inner] - deg[inner])) <= 0.1
    assert np.nanmax(np.abs(ours_pct[inner] - pct[inner])) <= 0.1
    assert np.nanmax(pct) > 20  # the test DEM is hilly enough to matter


@needs_gdaldem
def test_criterion_statistics_equal_gdaldem_pixels(tmp_path):
    z = hills()
    dem = write_dem(tmp_path / "hills.tif", z)
    deg = gdaldem(tmp_path / "hills.tif", tmp_path / "deg.tif")
    pct = gdaldem(tmp_path / "hills.tif", tmp_path / "pct.tif", "-p")
    areas = [shapely.box(X0 + 25.3, Y0 + 35.6, X0 + 55.2, Y0 + 70.4),
             shapely.Polygon([(X0 + 60.2, Y0 + 60.3), (X0 + 110.4, Y0 + 62.1), (X0 + 100.7, Y0 + 105.5),
                              (X0 + 70.6, Y0 + 95.2)])]
    res = rate(dem, areas)
    x, y = grid()
    for i, area in enumerate(areas):
        inside = shapely.contains_xy(area, X0 + x, Y0 + y)
        p, d = pct[inside], deg[inside]
        r = res.iloc[i]
        assert inside.sum() > 500
        assert np.degrees(np.arctan(r["topographie_neigung_p90_pct"] / 100)) == pytest.approx(
            np.percentile(d, 90), abs=0.1)
        assert r["topographie_neigung_max_grad"] == pytest.approx(d.max(), abs=0.1)
        assert r["topographie_neigung_mittel_pct"] == pytest.approx(p.mean(), abs=0.1)
        assert r["topographie_neigung_p90_pct"] == pytest.approx(np.percentile(p, 90), abs=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("on", ["geometry", "area"])
def test_planted_cases_in_sample(on, sample_config, sample_assessment):
    check_planted("topographie", sample_config, sample_assessment, on=on)
