"""Geometry cleaning at entry: one polygon cleaner for every reader, every repair recorded.

Null and empty geometries, non-polygonal features in a polygon layer and zero-area slivers are
dropped; invalid polygons (bow-ties, self-touching rings) are repaired with ``make_valid``; Z
coordinates are removed. Each kind of change is recorded once, with its count.
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["Cleaned", "clean_polygons", "clean_features", "SLIVER_M2", "geometry_array"]

#: Polygons smaller than this are slivers (digitising artefacts) and dropped [Konvention: one
#: hundredth of a square metre is far below any building or parcel, far above float noise].
SLIVER_M2 = 0.01

_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon
_COLLECTION = 7


class Cleaned(NamedTuple):
    """A cleaned frame, the problems found, and the index labels of the dropped rows."""

    frame: gpd.GeoDataFrame
    problems: list[str]
    dropped: pd.Index


def geometry_array(gs) -> np.ndarray:
    """The geometries of a GeoDataFrame, a GeoSeries or a sequence as a plain object array (for shapely 2).

    Examples
    --------
    >>> geometry_array(gpd.GeoSeries([shapely.Point(0, 0)])).dtype
    dtype('O')
    """
    if isinstance(gs, gpd.GeoDataFrame):
        gs = gs.geometry
    return np.asarray(gs.array if hasattr(gs, "array") else gs, dtype=object)


def _polygonal_parts(geoms: np.ndarray, coll: np.ndarray) -> np.ndarray:
    """Replace geometry collections by the multipolygon of their polygonal parts (or None)."""
    parts, idx = shapely.get_parts(geoms[coll], return_index=True)
    keep = np.isin(shapely.get_type_id(parts), _POLYGONAL)
    polys = shapely.get_parts(parts[keep])
    pidx = np.repeat(idx[keep], shapely.get_num_geometries(parts[keep]))
    rebuilt = np.full(coll.sum(), None, dtype=object)
    if len(polys):
        rebuilt[np.unique(pidx)] = shapely.multipolygons(polys, indices=pidx)
    geoms = geoms.copy()
    geoms[coll] = rebuilt
    return geoms


def clean_polygons(gdf: gpd.GeoDataFrame, *, what: str, explode: bool = False,
                   min_area: float = SLIVER_M2) -> Cleaned:
    """Make polygon geometries valid, 2D and polygonal; drop what cannot be used, and say so.

    Parameters
    ----------
    gdf
        The frame; it is not modified.
    what
        What the layer is, for the messages (e.g. "Gebäude").
    explode
        Split multipolygons into one row per polygon (DXF drawings: one hatch may hold several).
    min_area
        Polygons below this area are dropped as slivers; ``0`` drops only those without area.

    Examples
    --------
    >>> bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> gdf = gpd.GeoDataFrame(geometry=[bow_tie, None, shapely.Point(0, 0)], crs="EPSG:25832")
    >>> frame, problems, dropped = clean_polygons(gdf, what="Gebäude")
    >>> problems
    ['Gebäude: 1 ungültige Geometrien repariert (make_valid)', 'Gebäude: 1 leere Geometrien verworfen', 'Gebäude: 1 Nicht-Flächen-Geometrien (Punkte/Linien) verworfen']
    >>> len(frame), list(dropped), float(frame.area.iloc[0])
    (1, [1, 2], 2.0)
    """
    problems: list[str] = []
    geoms = geometry_array(gdf)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if shapely.has_z(geoms[~missing]).any():
        geoms = shapely.force_2d(geoms)
        problems.append(f"{what}: Z-Koordinaten entfernt")
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        problems.append(f"{what}: {int(invalid.sum())} ungültige Geometrien repariert (make_valid)")
    coll = ~missing & (shapely.get_type_id(geoms) == _COLLECTION)
    if coll.any():  # make_valid may return collections with lines
        geoms = _polygonal_parts(geoms, coll)
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    if explode:
        out = out.explode(index_parts=False)
        geoms = geometry_array(out)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    nonpoly = ~missing & ~np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    area = np.where(missing | nonpoly, 0.0, shapely.area(np.where(missing | nonpoly, None, geoms)))
    sliver = ~missing & ~nonpoly & ((area < min_area) | (area <= 0))
    size = f"< {min_area:g} m²".replace(".", ",") if min_area > 0 else "ohne Fläche"
    for mask, label in ((missing, "leere Geometrien"), (nonpoly, "Nicht-Flächen-Geometrien (Punkte/Linien)"),
                        (sliver, f"Splitterflächen {size}")):
        if mask.any():
            problems.append(f"{what}: {int(mask.sum())} {label} verworfen")
    drop = missing | nonpoly | sliver
    return Cleaned(out[~drop], problems, out.index[drop])


def clean_features(gdf: gpd.GeoDataFrame, *, what: str) -> Cleaned:
    """Points and lines: drop empty geometries (recorded) and remove Z coordinates (silently)."""
    geoms = geometry_array(gdf)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems = [f"{what}: {int(bad.sum())} leere Geometrien verworfen"] if bad.any() else []
    out = gdf[~bad]
    if shapely.has_z(geoms[~bad]).any():
        out = out.set_geometry(shapely.force_2d(geometry_array(out)))
    return Cleaned(out, problems, gdf.index[bad])
