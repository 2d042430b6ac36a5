"""Rasters delivered as many files: tiles → one virtual mosaic (GDAL VRT), built once, read by window.

A DGM1 usually arrives as hundreds of 1 km tiles: GeoTIFF (RLP, BW; RLP with the compound CRS
EPSG:25832+7837), Esri ASCII grids, or XYZ ASCII (NRW, Saarland, Hessen), sometimes gzipped and
sorted south → north. :func:`build_mosaic` takes a folder, a glob or a list of such files and
returns the path of one VRT that GDAL (rasterio) reads window by window like a single GeoTIFF:

* XYZ tiles are converted once into GeoTIFFs in the cache folder (never beside the raw input);
  rows may come in either order, the grid is rebuilt from the coordinates;
* tiles in another CRS or on another grid are warped once onto the grid of the first tile;
* the VRT XML is written directly (``gdal.BuildVRT`` needs the GDAL Python bindings, which the
  rasterio wheels do not ship); nodata of every tile stays transparent;
* gaps between the tiles (missing tiles inside the mosaic's rectangle) are reported with their area.

The cache key is a hash of the tile paths, sizes and modification times, so an unchanged delivery
reuses its mosaic.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
import shapely
from pyproj import CRS
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from ..errors import InputError
from .contract import Read

__all__ = ["RASTER_SUFFIXES", "expand_tiles", "is_tile_set", "build_mosaic", "horizontal_crs", "cache_dir",
           "read_xyz", "Mosaic"]

RASTER_SUFFIXES = (".tif", ".tiff", ".asc", ".xyz", ".xyz.gz", ".txt.gz", ".vrt", ".img")
NODATA = -9999.0


@dataclass(frozen=True)
class Mosaic:
    """A built mosaic: the VRT, the tiles it holds and how to name it in messages."""

    path: Path
    tiles: tuple[Path, ...]
    label: str


def cache_dir() -> Path:
    """Where converted tiles and mosaics are kept: ``$NACHVERDICHTUNG_CACHE`` or the system temp folder."""
    base = os.environ.get("NACHVERDICHTUNG_CACHE")
    return Path(base) if base else Path(tempfile.gettempdir()) / "nachverdichtung-cache"


def _suffix(p: Path) -> str:
    name = p.name.lower()
    for s in (".xyz.gz", ".txt.gz"):
        if name.endswith(s):
            return s
    return p.suffix.lower()


def is_tile_set(path: Path) -> bool:
    """A folder or a glob pattern (rather than one raster file)."""
    return path.is_dir() or any(c in path.name for c in "*?[")


def expand_tiles(paths) -> list[Path]:
    """Raster files of a folder (any depth), a glob or a list of paths, sorted, without duplicates."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(q for q in sorted(p.rglob("*")) if q.is_file() and _suffix(q) in RASTER_SUFFIXES)
        elif any(c in p.name for c in "*?["):
            out.extend(Path(q) for q in sorted(glob.glob(str(p))) if Path(q).is_file())
        else:
            out.append(p)
    seen, unique = set(), []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique


def horizontal_crs(crs) -> CRS:
    """The horizontal part of a (possibly compound, e.g. EPSG:25832+7837) CRS."""
    c = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    if c.is_compound:
        c = next((s for s in c.sub_crs_list if s.is_projected or s.is_geographic), c.sub_crs_list[0])
    return c


def _key(files: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def read_xyz(path: Path, *, crs: str | None) -> tuple[np.ndarray, "rasterio.Affine"]:
    """An XYZ ASCII tile (plain or gzipped, rows in any order) as a north-up grid and its transform.

    Coordinates are cell centres. Separators may be blanks, tabs, ``;`` or ``,``; a header line
    is skipped. Missing grid points become NaN.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"XYZ-Kachel kann nicht gelesen werden ({exc})", file=path,
                         fix="die Datei erneut kopieren (unvollständiges gzip?)") from None
    text = raw.decode("utf-8", errors="replace").replace(";", " ").replace(",", " ").replace("\t", " ")
    lines = text.splitlines()
    if lines and not any(ch.isdigit() for ch in lines[0].split()[0] if lines[0].split()):
        lines = lines[1:]
    try:
        data = np.loadtxt(io.StringIO("\n".join(lines)), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise InputError(f"XYZ-Kachel hat kein Format 'x y z' ({' '.join(str(exc).split())[:120]})", file=path,
                         fix="eine XYZ-Datei mit drei Zahlen je Zeile liefern") from None
    if data.shape[1] < 3 or len(data) < 4:
        raise InputError("XYZ-Kachel hat weniger als drei Spalten oder kaum Punkte", file=path,
                         fix="eine XYZ-Datei mit drei Zahlen (Rechts, Hoch, Höhe) je Zeile liefern")
    x, y, z = data[:, 0], data[:, 1], data[:, 2]
    ux, uy = np.unique(x), np.unique(y)
    res_x = float(np.min(np.diff(ux))) if len(ux) > 1 else 1.0
    res_y = float(np.min(np.diff(uy))) if len(uy) > 1 else res_x
    if not np.isclose(res_x, res_y, rtol=1e-6):
        raise InputError(f"XYZ-Kachel hat ungleiche Rasterweiten ({res_x:g} m × {res_y:g} m)", file=path,
                         fix="ein quadratisches Raster liefern oder vorher mit gdalwarp umrechnen")
    cols = np.rint((x - ux[0]) / res_x).astype(np.int64)
    rows = np.rint((uy[-1] - y) / res_y).astype(np.int64)
    grid = np.full((int(rows.max()) + 1, int(cols.max()) + 1), np.nan, dtype=np.float32)
    grid[rows, cols] = z
    transform = from_origin(ux[0] - res_x / 2, uy[-1] + res_y / 2, res_x, res_y)
    return grid, transform


def _xyz_to_tif(path: Path, crs: str | None, folder: Path) -> Path:
    if crs is None:
        raise InputError("XYZ-Kacheln haben kein Koordinatensystem", file=path,
                         fix="'crs: EPSG:25832' (bzw. das System der Lieferung) an der Eingabe eintragen")
    out = folder / f"{_key([path], crs)}.tif"
    if out.exists():
        return out
    grid, transform = read_xyz(path, crs=crs)
    grid = np.where(np.isnan(grid), NODATA, grid).astype(np.float32)
    _write_tif(out, grid, transform, horizontal_crs(crs))
    return out


def _write_tif(out: Path, grid: np.ndarray, transform, crs: CRS) -> None:
    tmp = out.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1,
                       dtype="float32", crs=crs.to_wkt(), transform=transform, nodata=NODATA,
                       compress="deflate", tiled=True) as dst:
        dst.write(grid, 1)
    os.replace(tmp, out)


def _describe(path: Path, crs: str | None) -> dict:
    try:
        with rasterio.open(path) as ds:
            file_crs = ds.crs
            if file_crs is None:
                if crs is None:
                    raise InputError("Rasterkachel hat kein Koordinatensystem", file=path,
                                     fix="'crs: EPSG:25832' (bzw. das System der Lieferung) an der Eingabe eintragen")
                file_crs = rasterio.crs.CRS.from_user_input(crs)
            return {"path": path, "crs": horizontal_crs(file_crs), "transform": ds.transform, "width": ds.width,
                    "height": ds.height, "nodata": ds.nodata, "dtype": ds.dtypes[0],
                    "compound": CRS.from_user_input(file_crs.to_wkt()).is_compound}
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"Rasterkachel kann nicht gelesen werden ({' '.join(str(exc).split())[:160]})", file=path,
                         fix="die Kachel neu kopieren oder aus der Lieferung entfernen") from None


def _warp(tile: dict, crs: CRS, res: float, folder: Path) -> dict:
    """Warp one tile onto ``crs`` at ``res`` (grid-aligned to multiples of ``res``), cached."""
    out = folder / f"{_key([tile['path']], crs.to_wkt() + str(res))}_warp.tif"
    if not out.exists():
        with rasterio.open(tile["path"]) as ds:
            src_crs = tile["crs"].to_wkt()
            t, w, h = calculate_default_transform(src_crs, crs.to_wkt(), ds.width, ds.height, *ds.bounds,
                                                  resolution=res)
            x0 = np.floor(t.c / res) * res
            y0 = np.ceil(t.f / res) * res
            w, h = w + 1, h + 1
            dst = np.full((h, w), NODATA, dtype=np.float32)
            reproject(ds.read(1).astype(np.float32), dst, src_transform=ds.transform, src_crs=src_crs,
                      src_nodata=ds.nodata, dst_transform=from_origin(x0, y0, res, res), dst_crs=crs.to_wkt(),
                      dst_nodata=NODATA, resampling=Resampling.bilinear)
        _write_tif(out, dst, from_origin(x0, y0, res, res), crs)
    return _describe(out, None)


def build_mosaic(paths, *, crs: str | None = None, name: str = "Raster", key: str = "inputs") -> Read:
    """One VRT over all tiles in ``paths`` (folders, globs, files); see the module docstring.

    Returns a :class:`~nachverdichtung.io.contract.Read` of the :class:`Mosaic`, with what was
    noticed on the way (conversions, warped tiles, gaps) as problems.

    Raises
    ------
    InputError
        When no raster file is found, a tile cannot be read, or the tiles have no CRS.
    """
    given = [Path(p) for p in paths]
    files = expand_tiles(given)
    label = ", ".join(p.name for p in given[:3]) + (" …" if len(given) > 3 else "")
    if not files:
        raise InputError(f"{name}: keine Rasterdateien gefunden (gesucht: {', '.join(RASTER_SUFFIXES)})",
                         file=given[0] if given else None, fix=f"Ordner, Muster oder Dateiliste unter '{key}' prüfen")
    folder = cache_dir() / _key(files, str(crs))
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    tiles = []
    n_xyz = 0
    for f in files:
        if _suffix(f) in (".xyz", ".xyz.gz", ".txt.gz"):
            n_xyz += 1
            f = _xyz_to_tif(f, crs, folder)
        tiles.append(_describe(f, crs))
    if n_xyz:
        problems.append(f"{label}: {name}: {n_xyz} XYZ-Kacheln einmalig in GeoTIFF umgewandelt (Zwischenspeicher "
                        f"{folder})")
    compound = sum(t["compound"] for t in tiles)
    if compound:
        problems.append(f"{label}: {name}: {compound} Kacheln mit zusammengesetztem Koordinatensystem (Lage + Höhe), "
                        f"Lage aus {tiles[0]['crs'].to_string()}")
    ref = tiles[0]
    res = abs(ref["transform"].a)
    moved = 0
    for i, t in enumerate(tiles):
        T = t["transform"]
        aligned = (np.isclose(abs(T.a), res) and np.isclose(T.e, -res) and T.b == 0 and T.d == 0
                   and _on_grid(T.c - ref["transform"].c, res) and _on_grid(T.f - ref["transform"].f, res))
        if not t["crs"].equals(ref["crs"]) or not aligned:
            tiles[i] = _warp(t, ref["crs"], res, folder)
            moved += 1
    if moved:
        problems.append(f"{label}: {name}: {moved} Kacheln in anderem Koordinatensystem oder Raster einmalig auf "
                        f"{ref['crs'].to_string()} ({res:g} m) umgerechnet")
    vrt = folder / "mosaik.vrt"
    _write_vrt(vrt, tiles, ref["crs"], res)
    gap = _gaps(tiles)
    if gap[0] > 0:
        km2 = f"{gap[0] / 1e6:.3f}".replace(".", ",")
        m2 = f"{gap[0]:,.0f}".replace(",", ".")
        problems.append(f"{label}: {name}: Lücken zwischen den Kacheln, {gap[1]} Stück mit zusammen {km2} km² "
                        f"({m2} m²) ohne Daten; Flächen dort werden nicht bewertet")
    mosaic = Mosaic(path=vrt, tiles=tuple(files), label=f"{label} ({len(files)} Kacheln)")
    return Read(mosaic, tuple(problems), {"file": [str(f) for f in files], "crs": ref["crs"].to_string()})


def _on_grid(offset: float, res: float) -> bool:
    k = offset / res
    return abs(k - round(k)) < 1e-3


def _gaps(tiles: list[dict]) -> tuple[float, int]:
    boxes = []
    for t in tiles:
        T = t["transform"]
        x0, y0 = T.c, T.f
        x1, y1 = x0 + T.a * t["width"], y0 + T.e * t["height"]
        boxes.append(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    union = shapely.union_all(boxes)
    holes = shapely.difference(shapely.envelope(union), union)
    area = float(shapely.area(holes))
    if area < 1e-6 * float(shapely.area(union)):
        return 0.0, 0
    return area, int(shapely.get_num_geometries(holes))


def _write_vrt(out: Path, tiles: list[dict], crs: CRS, res: float) -> None:
    x0 = min(t["transform"].c for t in tiles)
    y0 = max(t["transform"].f for t in tiles)
    x1 = max(t["transform"].c + res * t["width"] for t in tiles)
    y1 = min(t["transform"].f - res * t["height"] for t in tiles)
    width, height = int(round((x1 - x0) / res)), int(round((y0 - y1) / res))
    sources = []
    for t in tiles:
        xo = int(round((t["transform"].c - x0) / res))
        yo = int(round((y0 - t["transform"].f) / res))
        nod = f"<NODATA>{t['nodata']!r}</NODATA>" if t["nodata"] is not None else ""
        sources.append(
            f'    <ComplexSource>\n      <SourceFilename relativeToVRT="0">{escape(str(Path(t["path"]).resolve()))}'
            f'</SourceFilename>\n      <SourceBand>1</SourceBand>\n'
            f'      <SrcRect xOff="0" yOff="0" xSize="{t["width"]}" ySize="{t["height"]}"/>\n'
            f'      <DstRect xOff="{xo}" yOff="{yo}" xSize="{t["width"]}" ySize="{t["height"]}"/>\n'
            f'      {nod}\n    </ComplexSource>')
    xml = (f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">\n'
           f'  <SRS>{escape(crs.to_wkt())}</SRS>\n'
           f'  <GeoTransform>{x0!r}, {res!r}, 0.0, {y0!r}, 0.0, {-res!r}</GeoTransform>\n'
           f'  <VRTRasterBand dataType="Float32" band="1">\n    <NoDataValue>{NODATA!r}</NoDataValue>\n'
           + "\n".join(sources) + "\n  </VRTRasterBand>\n</VRTDataset>\n")
    tmp = out.with_suffix(".tmp")
    tmp.write_text(xml, encoding="utf-8")
    os.replace(tmp, out)
