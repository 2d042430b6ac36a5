"""Raster inputs: checked once at entry, then opened lazily and read window by window."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS

from ..errors import CRSError, InputError

log = logging.getLogger(__name__)

__all__ = ["RasterSource", "open_raster_source"]


@dataclass(frozen=True)
class RasterSource:
    """A checked single-band raster: where it is and how to read it.

    Attributes
    ----------
    path
        The GeoTIFF (or any GDAL raster).
    crs
        Its CRS as a WKT/EPSG string (from the file, or from the config when the file has none).
    nodata
        The value treated as missing (``None``: every value is valid).
    bounds
        ``(left, bottom, right, top)`` in ``crs``.
    res
        Pixel size ``(x, y)`` in CRS units.
    """

    path: Path
    crs: str
    nodata: float | None
    bounds: tuple[float, float, float, float]
    res: tuple[float, float]
    name: str = ""

    def open(self):
        """Open the dataset (use as a context manager)."""
        return rasterio.open(self.path)


def open_raster_source(path: str | Path, *, crs: str | None = None, name: str = "Raster",
                       key: str = "inputs", problems: list | None = None) -> RasterSource:
    """Check a raster once and describe it.

    Missing files, unreadable files and a missing CRS are errors. A missing nodata value and a
    raster holding only nodata are reported in ``problems`` (the criterion will then say
    "nicht bewertet" for the areas it cannot cover).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{name}: Datei nicht gefunden", file=path, fix=f"Pfad unter '{key}' prüfen")
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{name}: Raster kann nicht gelesen werden ({' '.join(str(exc).split())[:160]})",
                         file=path, fix="ein GeoTIFF liefern oder die Datei neu exportieren") from None
    with ds:
        file_crs = ds.crs
        if file_crs is None:
            if crs is None:
                raise CRSError(f"{name}: Raster hat kein Koordinatensystem", file=path,
                               fix=f"'crs: EPSG:25832' unter '{key}' eintragen")
            file_crs = rasterio.crs.CRS.from_user_input(crs)
        if CRS.from_wkt(file_crs.to_wkt()).is_geographic:
            log.info("%s: geographisches Raster, Flächen werden ins Rasterkoordinatensystem umgerechnet", path.name)
        nodata = ds.nodata
        if nodata is None and problems is not None:
            problems.append(f"{path.name}: {name} hat keinen NoData-Wert; alle Zellen gelten als gültig")
        if np.issubdtype(np.dtype(ds.dtypes[0]), np.integer) and problems is not None:
            problems.append(f"{path.name}: {name} ist ein Ganzzahl-Raster ({ds.dtypes[0]}); Werte sind auf "
                            f"ganze Einheiten gerundet, Neigungen daraus sind ungenauer")
        step = max(1, max(ds.width, ds.height) // 512)
        sample = ds.read(1, out_shape=(max(1, ds.height // step), max(1, ds.width // step)), masked=True)
        if sample.mask.all() if np.ma.isMaskedArray(sample) else False:
            if problems is not None:
                problems.append(f"{path.name}: {name} enthält nur NoData; betroffene Kriterien werden nicht bewertet")
        return RasterSource(path=path, crs=file_crs.to_wkt(), nodata=None if nodata is None else float(nodata),
                            bounds=tuple(ds.bounds), res=tuple(ds.res), name=name)
