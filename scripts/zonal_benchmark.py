"""Benchmark and cross-check of :func:`nachverdichtung.zonal.zonal_stats`.

Builds a synthetic case (a smooth random field, 1 m pixels, EPSG:25832, and candidate-like
polygons of 250–2000 m², one per 50 m grid cell so they do not overlap), then compares our
centre-pixel statistics with

* ``exactextract`` (coverage-weighted mean; the independent reference), and
* ``rasterstats.zonal_stats`` (centre-pixel, one feature at a time in Python).

rasterstats is slow, so by default it runs on a random subset and its time is extrapolated
linearly to all areas; the output says so.

Usage::

    python scripts/zonal_benchmark.py --areas 10000 --rasterstats-sample 1000

The helpers :func:`make_case` and :func:`compare_with_baselines` are imported by
``tests/test_zonal.py`` and may be reused by other benchmark scripts.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from scipy.ndimage import gaussian_filter

CRS = "EPSG:25832"
X0, Y0 = 410_000.0, 5_478_000.0
CELL_M = 50.0


def make_case(n_areas: int, out_dir: Path, *, seed: int = 0, sigma_px: float = 8.0):
    """Write a smooth random field raster and return ``(areas, raster_path)``.

    The field has mean about 50 and standard deviation about 15 (so a 1 % difference is about
    0.5 units). Polygons are rotated rectangles of 250–2000 m² (aspect 1–2), each clipped to its
    own 50 m grid cell shrunk by 1 m.
    """
    rng = np.random.default_rng(seed)
    ncol = int(math.ceil(math.sqrt(n_areas)))
    nrow = int(math.ceil(n_areas / ncol))
    width, height = int(ncol * CELL_M) + 20, int(nrow * CELL_M) + 20
    noise = gaussian_filter(rng.standard_normal((height, width)).astype(np.float32), sigma_px)
    field = (50.0 + 15.0 * noise / max(float(noise.std()), 1e-9)).astype(np.float32)
    path = Path(out_dir) / f"field_{n_areas}_{seed}.tif"
    left, top = X0 - 10, Y0 + nrow * CELL_M + 10
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32", crs=CRS,
                       transform=Affine(1.0, 0.0, left, 0.0, -1.0, top), nodata=-9999.0, tiled=True,
                       blockxsize=256, blockysize=256) as ds:
        ds.write(field, 1)
    k = np.arange(n_areas)
    cx = X0 + (k % ncol + 0.5) * CELL_M + rng.uniform(-3, 3, n_areas)
    cy = Y0 + (k // ncol + 0.5) * CELL_M + rng.uniform(-3, 3, n_areas)
    area = rng.uniform(250, 2000, n_areas)
    aspect = rng.uniform(1, 2, n_areas)
    w = np.sqrt(area / aspect)
    h = w * aspect
    ang = rng.uniform(0, np.pi, n_areas)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    x = cx[:, None] + dx * np.cos(ang)[:, None] - dy * np.sin(ang)[:, None]
    y = cy[:, None] + dx * np.sin(ang)[:, None] + dy * np.cos(ang)[:, None]
    rect = shapely.polygons(np.stack([x, y], axis=-1))
    cell = shapely.box(X0 + (k % ncol) * CELL_M + 1, Y0 + (k // ncol) * CELL_M + 1,
                       X0 + (k % ncol + 1) * CELL_M - 1, Y0 + (k // ncol + 1) * CELL_M - 1)
    geoms = shapely.intersection(rect, cell)
    areas = gpd.GeoDataFrame({"flaeche_id": [f"F{i:05d}" for i in k]}, geometry=geoms, crs=CRS).set_index("flaeche_id")
    return areas, path


def ours(areas, path):
    """Our zonal statistics (mean) and the time taken."""
    from nachverdichtung.io.raster import open_raster_source
    from nachverdichtung.zonal import zonal_stats

    src = open_raster_source(path)
    t0 = time.perf_counter()
    z = zonal_stats(areas.geometry, src)
    return z["mean"].to_numpy(), time.perf_counter() - t0


def exact(areas, path):
    """exactextract's coverage-weighted mean and the time taken."""
    from exactextract import exact_extract

    t0 = time.perf_counter()
    df = exact_extract(str(path), areas.reset_index(), ["mean"], include_cols=["flaeche_id"], output="pandas")
    dt = time.perf_counter() - t0
    return df.set_index("flaeche_id").reindex(areas.index)["mean"].to_numpy(), dt


def rstats(areas, path):
    """rasterstats' centre-pixel mean and the time taken."""
    from rasterstats import zonal_stats as rs_zonal

    t0 = time.perf_counter()
    res = rs_zonal(list(areas.geometry), str(path), stats=["mean"], nodata=-9999.0)
    dt = time.perf_counter() - t0
    return np.array([r["mean"] if r["mean"] is not None else np.nan for r in res], dtype=float), dt


def compare_with_baselines(n_areas: int = 10_000, *, rasterstats_sample: int | None = 1000, seed: int = 0,
                           out_dir: Path | None = None, exactextract: bool = True) -> dict:
    """Time ours vs exactextract and rasterstats and report the agreement of the means.

    Parameters
    ----------
    n_areas
        Number of polygons.
    rasterstats_sample
        Run rasterstats on this many random polygons and extrapolate its time linearly
        (``None``: all polygons).
    out_dir
        Where the raster is written (a temporary folder by default).

    Returns
    -------
    dict
        Times in seconds, speed-ups, and the maximum / 99th percentile relative difference of the
        means (ours vs exactextract, ours vs rasterstats on the sample).
    """
    with tempfile.TemporaryDirectory() as tmp:
        areas, path = make_case(n_areas, Path(out_dir or tmp), seed=seed)
        mean, t_ours = ours(areas, path)
        report = {"flaechen": n_areas, "zeit_ours_s": round(t_ours, 3)}
        if exactextract:
            ee, t_ee = exact(areas, path)
            rel = np.abs(mean - ee) / np.abs(ee)
            report.update(zeit_exactextract_s=round(t_ee, 3), speedup_vs_exactextract=round(t_ee / t_ours, 1),
                          rel_diff_exactextract_max=float(np.nanmax(rel)),
                          rel_diff_exactextract_p99=float(np.nanpercentile(rel, 99)))
        k = n_areas if rasterstats_sample is None else min(rasterstats_sample, n_areas)
        pick = np.sort(np.random.default_rng(seed).choice(n_areas, k, replace=False))
        rs, t_rs = rstats(areas.iloc[pick], path)
        t_rs_all = t_rs * n_areas / k
        report.update(rasterstats_flaechen=k, zeit_rasterstats_s=round(t_rs, 3),
                      zeit_rasterstats_hochgerechnet_s=round(t_rs_all, 3),
                      rasterstats_hochgerechnet=k < n_areas,
                      speedup_vs_rasterstats=round(t_rs_all / t_ours, 1),
                      rel_diff_rasterstats_max=float(np.nanmax(np.abs(mean[pick] - rs) / np.abs(rs))))
        return report


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=10_000)
    ap.add_argument("--rasterstats-sample", type=int, default=1000,
                    help="rasterstats on this many areas, time extrapolated (0 = all)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    print(json.dumps(compare_with_baselines(a.areas, rasterstats_sample=a.rasterstats_sample or None, seed=a.seed),
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
