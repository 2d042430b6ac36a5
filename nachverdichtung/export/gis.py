"""GIS layers: GeoPackage (primary) and Shapefile (legacy)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

__all__ = ["write_gpkg", "write_shapefiles"]


def _for_ogr(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.reset_index() if gdf.index.name else gdf.copy()
    for col in out.columns:
        if str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].astype(object)
    return out


def write_gpkg(assessment, folder: Path) -> list[Path]:
    """Write ``nachverdichtung.gpkg`` with the layers ``bewertung`` and ``flurstuecke``."""
    path = Path(folder) / "nachverdichtung.gpkg"
    pyogrio.write_dataframe(_for_ogr(assessment.areas), path, layer="bewertung", driver="GPKG")
    parcels = assessment.parcels[assessment.parcels.geometry.notna()]
    pyogrio.write_dataframe(_for_ogr(parcels), path, layer="flurstuecke", driver="GPKG", append=False)
    return [path]


def write_shapefiles(assessment, folder: Path) -> list[Path]:
    """Shapefile export (filled in by the GIS export module)."""
    return []
