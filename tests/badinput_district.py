"""A small ALKIS delivery on disk for the bad-input corpus: ax_* Shapefiles, DEM, trees, config.

Six parcels north of "Hauptstraße" (tests/districts.py ``street_row``), each with a house at the
front and an empty rear garden, so every run has candidate areas. Field names are the 10-character
Shapefile names of the ``ax`` preset (``flurstueck``, ``gebaeudefu`` …).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
import yaml
from affine import Affine

from .districts import CRS, X0, Y0, kennz, street_row

N_PARCELS = 6
STREET = "Hauptstraße"


def parcels_frame() -> gpd.GeoDataFrame:
    parcels, _, _ = street_row(N_PARCELS)
    return gpd.GeoDataFrame({
        "flurstueck": [kennz(i + 1) for i in range(N_PARCELS)],
        "gemarkungs": ["2566"] * N_PARCELS,
        "flurnummer": [1] * N_PARCELS,
        "zaehler": list(range(1, N_PARCELS + 1)),
        "nenner": [0] * N_PARCELS,
        "amtlichefl": [1200.0] * N_PARCELS,
    }, geometry=parcels, crs=CRS)


def buildings_frame() -> gpd.GeoDataFrame:
    _, houses, _ = street_row(N_PARCELS)
    return gpd.GeoDataFrame({"gebaeudefu": ["1010"] * N_PARCELS, "anzahldero": [2] * N_PARCELS},
                            geometry=houses, crs=CRS)


def roads_frame() -> gpd.GeoDataFrame:
    _, _, roads = street_row(N_PARCELS)
    return gpd.GeoDataFrame({"name": [STREET]}, geometry=roads, crs=CRS)


def landuse_frame() -> gpd.GeoDataFrame:
    parcels, _, _ = street_row(N_PARCELS)
    return gpd.GeoDataFrame({"name": ["Wohngebiet"]}, geometry=[shapely.union_all(parcels).buffer(0.5)], crs=CRS)


LAYERS = {"ax_flurstueck": parcels_frame, "ax_gebaeude": buildings_frame,
          "ax_strassenverkehr": roads_frame, "ax_wohnbauflaeche": landuse_frame}

DEM_BOUNDS = (X0 - 40, Y0 - 20, X0 + 20 * N_PARCELS + 40, Y0 + 80)


def write_dem(path: Path, *, crs: str = CRS, bounds=DEM_BOUNDS, dtype="float32", nodata=-9999.0,
              fill=None) -> Path:
    """A 1 m DEM rising 1 m per 20 m northwards (5 % slope)."""
    left, bottom, right, top = bounds
    w, h = int(right - left), int(top - bottom)
    rows = np.arange(h)[:, None]
    z = (100.0 + (h - rows) * 0.05) * np.ones((1, w))
    if fill is not None:
        z[:] = fill
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype=dtype, crs=crs,
                   transform=Affine(1.0, 0.0, left, 0.0, -1.0, top))
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(z.astype(dtype), 1)
    return path


def write_trees(path: Path) -> Path:
    """Tree cadastre as UTF-8 CSV with BOM and German column names (mapped in the config)."""
    rows = [("Rechtswert", "Hochwert", "Baumart", "Stammumfang")]
    for i in range(N_PARCELS):
        rows.append((f"{X0 + 20 * i + 10:.1f}".replace(".", ","), f"{Y0 + 45:.1f}".replace(".", ","),
                     "Stieleiche", str(120 + i)))
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8-sig")
    return path


def base_config() -> dict:
    return {
        "crs": CRS,
        "alkis": {"path": "alkis"},
        "inputs": {
            "settlement": {"path": "innenbereich.gpkg"},
            "dem": {"path": "dgm.tif"},
            "trees": {"path": "baeume.csv", "crs": CRS,
                      "fields": {"x": "Rechtswert", "y": "Hochwert", "art": "Baumart", "umfang_cm": "Stammumfang"}},
        },
        "output": {"formats": ["gpkg", "csv"]},
    }


def write_config(folder: Path, data: dict) -> Path:
    path = Path(folder) / "config.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_case_config(path: Path, cfg: dict) -> None:
    """A case's config: YAML from the dict, or raw text / bytes a mutation put under ``__raw__(_bytes__)``."""
    if "__raw_bytes__" in cfg:
        path.write_bytes(cfg["__raw_bytes__"])
    elif "__raw__" in cfg:
        path.write_text(cfg["__raw__"], encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_district(folder: Path) -> Path:
    """Write the whole delivery into ``folder`` and return the config path."""
    folder = Path(folder)
    alkis = folder / "alkis"
    alkis.mkdir(parents=True, exist_ok=True)
    for name, make in LAYERS.items():
        pyogrio.write_dataframe(make(), alkis / f"{name}.shp", encoding="UTF-8")
    write_dem(folder / "dgm.tif")
    write_trees(folder / "baeume.csv")
    write_settlement(folder / "innenbereich.gpkg")
    return write_config(folder, base_config())


def write_settlement(path: Path) -> None:
    """The Innenbereich: a box around the street row (six houses alone are no Ortsteil to derive one from)."""
    box = shapely.box(X0 - 100, Y0 - 100, X0 + 300, Y0 + 200)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["Innenbereich"]}, geometry=[box], crs=CRS), path)


def read_outputs(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(bewertung.csv, flurstuecke.csv)`` of a run."""
    kw = dict(sep=";", decimal=",", encoding="utf-8-sig", dtype={"flstkennz": str})
    return pd.read_csv(out / "bewertung.csv", **kw), pd.read_csv(out / "flurstuecke.csv", **kw)
