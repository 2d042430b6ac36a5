"""Benchmark the two DXF readers on a synthetic ALKIS-like DXF.

Run ``python -m nachverdichtung.io.dxf_bench [N_PARCELS] [--keep FILE]``. Writes a district of about
N parcels (irregular quadrilaterals, every third with a Nenner, one house and one garage per parcel,
roads and land use) with :func:`~nachverdichtung.io.dxf.write_alkis_dxf`, then reads it with
``reader="ezdxf"`` and ``reader="gdal"`` (best of three) and prints the times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from nachverdichtung.io.dxf import read_alkis_dxf, write_alkis_dxf

CRS = "EPSG:25832"


def synthetic_district(n_parcels: int, *, seed: int = 0, x0: float = 412_000.0,
                       y0: float = 5_540_000.0) -> dict[str, gpd.GeoDataFrame]:
    """Canonical frames of a grid district with jittered parcel corners."""
    rng = np.random.default_rng(seed)
    ncol = max(1, int(np.sqrt(n_parcels / 2)))
    nrow = int(np.ceil(n_parcels / ncol))
    w, h = 22.0, 40.0
    # jitter the shared grid nodes so neighbours still fit exactly
    gx = x0 + np.arange(ncol + 1)[None, :] * w + rng.uniform(-3, 3, (nrow + 1, ncol + 1))
    gy = y0 + np.arange(nrow + 1)[:, None] * h + rng.uniform(-3, 3, (nrow + 1, ncol + 1))
    parcels, buildings, kats = [], [], []
    for i in range(nrow):
        for j in range(ncol):
            ring = [(gx[i, j], gy[i, j]), (gx[i, j + 1], gy[i, j + 1]),
                    (gx[i + 1, j + 1], gy[i + 1, j + 1]), (gx[i + 1, j], gy[i + 1, j])]
            poly = shapely.Polygon(ring)
            parcels.append(poly)
            c = poly.centroid
            house = shapely.affinity.rotate(shapely.box(c.x - 5, c.y - 9, c.x + 5, c.y + 1), 5)
            buildings.append(house)
            kats.append("haupt")
            buildings.append(shapely.box(c.x - 3, c.y + 5, c.x + 3, c.y + 11))
            kats.append("neben")
    n = len(parcels)
    zaehler = np.arange(1, n + 1)
    nenner = pd.array([k % 7 + 1 if k % 3 == 0 else pd.NA for k in zaehler], dtype="Int64")
    kennz = [f"072566001{z:05d}" + ("____" if pd.isna(nn) else f"{int(nn):04d}") + "__"
             for z, nn in zip(zaehler, nenner)]
    frames = {
        "parcels": gpd.GeoDataFrame({"flstkennz": kennz, "gemarkung": "2566", "flur": 1,
                                     "zaehler": zaehler, "nenner": nenner,
                                     "flaeche_amtlich": np.nan}, geometry=parcels, crs=CRS),
        "buildings": gpd.GeoDataFrame({"funktion": [1000 if k == "haupt" else 2463 for k in kats],
                                       "geschosse": pd.array([pd.NA] * len(kats), "Int64"),
                                       "kategorie": kats}, geometry=buildings, crs=CRS),
        "roads": gpd.GeoDataFrame({"art": ["strassenverkehr"], "name": ["Hauptstraße"]},
                                  geometry=[shapely.box(x0 - 15, y0, x0 - 5, y0 + nrow * h)],
                                  crs=CRS),
        "landuse": gpd.GeoDataFrame({"nutzung": ["wohnbau"]},
                                    geometry=[shapely.box(x0 - 5, y0 - 5, x0 + ncol * w + 5,
                                                          y0 + nrow * h + 5)], crs=CRS),
    }
    return frames


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1500)
    parser.add_argument("--keep", type=Path, help="write the DXF here and keep it")
    args = parser.parse_args(argv)
    frames = synthetic_district(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.dxf"
        t = time.perf_counter()
        write_alkis_dxf(path, **frames)
        print(f"write: {time.perf_counter() - t:.2f} s, {len(frames['parcels'])} parcels, "
              f"{len(frames['buildings'])} buildings, {path.stat().st_size / 1e6:.1f} MB")
        for reader in ("ezdxf", "gdal"):
            times = []
            for _ in range(3):
                t = time.perf_counter()
                got = {role: read.frame for role, read in read_alkis_dxf(path, crs=CRS, reader=reader).items()}
                times.append(time.perf_counter() - t)
            same = set(got["parcels"]["flstkennz"]) == set(frames["parcels"]["flstkennz"])
            print(f"{reader}: best {min(times):.2f} s of 3, parcels {len(got['parcels'])}, "
                  f"buildings {len(got['buildings'])}, flstkennz identical: {same}")


if __name__ == "__main__":
    main()
