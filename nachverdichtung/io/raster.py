"""Raster inputs: checked once at entry, then opened lazily and read window by window."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS

from ..errors import CRSError, InputError
from .classes import UNIT_FACTORS
from .contract import Read
from .mosaic import build_mosaic, horizontal_crs, is_tile_set

log = logging.getLogger(__name__)

__all__ = ["RasterSource", "read_raster", "open_raster_source", "PLAUSIBLE", "BASE_UNIT"]

#: Plausible value range per raster role in its base unit, checked at entry (a depth raster in cm
#: read as m gives 100 times the depth). Sources: DGM heights in Germany −4 … 2 962 m; flash-flood
#: maps (LfU RLP) rarely exceed a few metres of depth and 10 m/s; noise maps 30 … 90 dB(A) [U].
PLAUSIBLE = {"dem": (-450.0, 4900.0), "rain_depth": (-0.01, 20.0), "rain_velocity": (-0.01, 20.0),
             "noise_lden": (0.0, 140.0), "noise_night": (0.0, 140.0)}
#: The unit the criteria expect per raster role.
BASE_UNIT = {"dem": "m", "rain_depth": "m", "rain_velocity": "m/s", "noise_lden": "dB", "noise_night": "dB"}
_UNIT_HINT = {"m": "cm", "m/s": "cm/s", "dB": "dB"}


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
    scale: float = 1.0
    label: str = ""
    unusable: str = ""

    @property
    def display(self) -> str:
        """The file (or tile set) as the user named it, for messages."""
        return self.label or self.path.name

    def open(self):
        """Open the dataset (use as a context manager)."""
        return rasterio.open(self.path)


def open_raster_source(path, *, crs: str | None = None, name: str = "Raster", key: str = "inputs",
                       role: str | None = None, unit: str | None = None) -> RasterSource:
    """Check a raster once and describe it; its problems are dropped (:func:`read_raster` has them)."""
    return read_raster(path, crs=crs, name=name, key=key, role=role, unit=unit).frame


def read_raster(path, *, crs: str | None = None, name: str = "Raster", key: str = "inputs",
                role: str | None = None, unit: str | None = None) -> Read:
    """The reader contract for rasters: a checked :class:`RasterSource`, its problems and source.

    ``path`` is one raster file, a folder or glob of tiles, or a list of tiles (then a VRT mosaic
    is built once, see :mod:`nachverdichtung.io.mosaic`; a single XYZ file is converted likewise).
    Rasters are not reprojected: the criteria read them window by window in their own CRS.
    Missing files, unreadable files and a missing CRS are errors. A missing nodata value and a
    raster holding only nodata are problems. With ``role`` the values are checked against
    :data:`PLAUSIBLE`; an implausible range (e.g. a depth in cm without ``unit: cm``) makes the
    source ``unusable`` with a message naming the file and the fix.
    """
    problems: list[str] = []
    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    label = ""
    if len(paths) > 1 or is_tile_set(paths[0]) or paths[0].name.lower().endswith((".xyz", ".xyz.gz", ".txt.gz")):
        if len(paths) == 1 and not is_tile_set(paths[0]) and not paths[0].exists():
            raise InputError(f"{name}: Datei nicht gefunden", file=paths[0], fix=f"Pfad unter '{key}' prüfen")
        built = build_mosaic(paths, crs=crs, name=name, key=key)
        problems.extend(built.problems)
        mosaic = built.frame
        path, label = mosaic.path, mosaic.label
    else:
        path = paths[0]
    if not path.exists():
        raise InputError(f"{name}: Datei nicht gefunden", file=path, fix=f"Pfad unter '{key}' prüfen")
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{name}: Raster kann nicht gelesen werden ({' '.join(str(exc).split())[:160]})",
                         file=path, fix="ein GeoTIFF liefern oder die Datei neu exportieren") from None
    shown = label or path.name
    with ds:
        file_crs = ds.crs
        if file_crs is None:
            if crs is None:
                raise CRSError(f"{name}: Raster hat kein Koordinatensystem", file=path,
                               fix=f"'crs: EPSG:25832' unter '{key}' eintragen")
            file_crs = rasterio.crs.CRS.from_user_input(crs)
        horizontal = horizontal_crs(file_crs)
        if CRS.from_user_input(file_crs.to_wkt()).is_compound:
            problems.append(f"{shown}: {name}: zusammengesetztes Koordinatensystem, Lage aus {horizontal.to_string()}")
        if horizontal.is_geographic:
            log.info("%s: geographisches Raster, Flächen werden ins Rasterkoordinatensystem umgerechnet", shown)
        nodata = ds.nodata
        if nodata is None:
            problems.append(f"{shown}: {name} hat keinen NoData-Wert; alle Zellen gelten als gültig")
        if np.issubdtype(np.dtype(ds.dtypes[0]), np.integer):
            problems.append(f"{shown}: {name} ist ein Ganzzahl-Raster ({ds.dtypes[0]}); Werte sind auf "
                            f"ganze Einheiten gerundet, Neigungen daraus sind ungenauer")
        step = max(1, max(ds.width, ds.height) // 512)
        sample = ds.read(1, out_shape=(max(1, ds.height // step), max(1, ds.width // step)), masked=True)
        empty = bool(sample.mask.all()) if np.ma.isMaskedArray(sample) else False
        if empty:
            problems.append(f"{shown}: {name} enthält nur NoData; betroffene Kriterien werden nicht bewertet")
        scale = _scale(role, unit, name=name, key=key, file=path)
        unusable = "" if empty else _check_range(sample, scale, role, unit, shown=shown, name=name, key=key)
        if unusable:
            problems.append(unusable)
        raster = RasterSource(path=path, crs=horizontal.to_wkt(), nodata=None if nodata is None else float(nodata),
                              bounds=tuple(ds.bounds), res=tuple(ds.res), name=name, scale=scale, label=label,
                              unusable=unusable)
    return Read(raster, tuple(problems), {"file": str(path), "crs": raster.crs, "label": label})


def _scale(role: str | None, unit: str | None, *, name: str, key: str, file) -> float:
    """Factor from the declared unit to the role's base unit."""
    if unit is None or role not in BASE_UNIT:
        return 1.0
    base = BASE_UNIT[role]
    kinds = {"m": ("m", "cm", "mm"), "m/s": ("m/s", "cm/s"), "dB": ("dB",)}[base]
    if unit not in kinds:
        raise InputError(f"{name}: Einheit {unit!r} passt nicht zu dieser Eingabe (erwartet {', '.join(kinds)})",
                         file=file, fix=f"'unit' unter '{key}' korrigieren")
    return UNIT_FACTORS[unit.lower()] / UNIT_FACTORS[base.lower()]


def _check_range(sample, scale: float, role: str | None, unit: str | None, *, shown: str, name: str,
                 key: str) -> str:
    """A message when the values lie outside the plausible range of the role, else ''."""
    if role not in PLAUSIBLE:
        return ""
    values = np.ma.compressed(sample) if np.ma.isMaskedArray(sample) else np.asarray(sample).ravel()
    values = values[np.isfinite(values)].astype(float) * scale
    if len(values) == 0:
        return ""
    lo, hi = PLAUSIBLE[role]
    vmin, vmax = float(values.min()), float(values.max())
    if lo <= vmin and vmax <= hi:
        return ""
    base = BASE_UNIT[role]
    hint = (f"vermutlich in {_UNIT_HINT[base]}: 'unit: {_UNIT_HINT[base]}' unter '{key}' eintragen"
            if vmax > hi and base != "dB" and unit is None else f"Einheit und NoData-Wert unter '{key}' prüfen")
    return (f"{shown}: {name}: Werte {vmin:g} … {vmax:g} liegen außerhalb des plausiblen Bereichs "
            f"{lo:g} … {hi:g} {base}; {hint}; betroffene Kriterien werden nicht bewertet")
