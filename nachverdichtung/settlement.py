"""A derived Innenbereich (Bebauungszusammenhang, § 34 BauGB) when no settlement layer is given.

The method, documented in ``docs/criteria.md`` (all distances are parameters of
:class:`~nachverdichtung.candidates.CandidateParams`):

1. **Main buildings** are all buildings except ancillary ones (garages, sheds, garden houses):
   only they form a Bebauungszusammenhang.
2. **Connected settlement.** Buildings closer than ``settlement_gap_m`` to each other belong to one
   cluster: each is buffered by half that distance and the buffers are dissolved. A gap of two
   or three building plots does not interrupt the Bebauungszusammenhang (case law); a wider one
   does.
3. **Ortsteil or Splittersiedlung.** Clusters with fewer than ``settlement_min_buildings`` main
   buildings are no Ortsteil with "some weight"; they, and everything around them, are
   Außenbereich (§ 35 BauGB).
4. **Morphological closing.** The dissolved buffers are shrunk back by half the gap minus
   ``settlement_margin_m``, so the boundary runs ``settlement_margin_m`` outside the outermost
   buildings and gaps smaller than the gap distance stay closed (a closing, not a hull).
5. **Land use.** Built-up land-use polygons (Wohnbau-, Misch-, Gewerbe-, öffentliche Flächen)
   that overlap a cluster are added whole: block interiors surrounded by houses belong to the
   village, while gardens and fields behind the last row of houses at the edge do not.

The result is flagged ``quelle = "abgeleitet"`` wherever it is used (parcel reasons, the
``innenbereich`` output layer, map and report).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .parallel import elementwise, tree_query
from .sindex import query

__all__ = ["BUILT_CLASSES", "add_built_landuse", "close_clusters", "cluster_buildings", "count_inside",
           "derive_settlement", "main_buildings"]

#: Coarse land-use classes that count as built-up village land (step 5).
BUILT_CLASSES = ("wohnbau", "gemischt", "gewerbe", "oeffentlich")


def derive_settlement(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame, *, gap_m: float = 60.0,
                      min_buildings: int = 10, margin_m: float = 5.0) -> gpd.GeoDataFrame:
    """Derive the Innenbereich from main buildings and built-up land use.

    Parameters
    ----------
    buildings
        Validated buildings with ``kategorie``.
    landuse
        Validated land use with ``nutzung``.
    gap_m, min_buildings, margin_m
        See the module docstring.

    Returns
    -------
    GeoDataFrame
        One row per connected settlement with ``quelle`` ("abgeleitet") and ``hauptgebaeude``
        (number of main buildings); empty if no cluster is large enough.

    Examples
    --------
    >>> houses = [shapely.box(x, 0, x + 10, 10) for x in range(0, 300, 25)]  # 12 houses, 15 m apart
    >>> b = gpd.GeoDataFrame({"kategorie": ["haupt"] * 12}, geometry=houses, crs="EPSG:25832")
    >>> lu = gpd.GeoDataFrame({"nutzung": []}, geometry=[], crs="EPSG:25832")
    >>> s = derive_settlement(b, lu)
    >>> len(s), int(s["hauptgebaeude"].iloc[0]), round(s.geometry.iloc[0].bounds[0], 1)
    (1, 12, -5.0)
    """
    crs = buildings.crs
    main = main_buildings(buildings)
    if len(main) == 0:
        return _empty(crs)
    clusters, counts = cluster_buildings(main, gap_m=gap_m)
    closed = close_clusters(clusters, counts, gap_m=gap_m, min_buildings=min_buildings, margin_m=margin_m)
    return add_built_landuse(closed, landuse, main, crs)


def _empty(crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"quelle": [], "hauptgebaeude": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def main_buildings(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """The geometries of the main buildings (step 1: every building but the ancillary ones)."""
    return np.asarray(buildings.geometry[buildings["kategorie"].ne("neben").to_numpy()].array, dtype=object)


def cluster_buildings(main: np.ndarray, *, gap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: the connected clusters (buffers of half the gap, dissolved) and their main-building counts.

    The dask engine clusters each tile's buildings and dissolves the tiles' clusters on the driver:
    a union is associative, so the clusters of the region are the same point sets, and a tile's
    cluster lies in exactly one of them (its count goes there).
    """
    if len(main) == 0:
        return np.array([], dtype=object), np.zeros(0, dtype=np.int64)
    clusters = shapely.get_parts(shapely.union_all(elementwise(shapely.buffer, main, gap_m / 2.0, quad_segs=4)))
    return clusters, count_inside(clusters, shapely.point_on_surface(main))


def count_inside(polys: np.ndarray, points: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per polygon the number (or the summed ``weights``) of the points it contains."""
    if len(polys) == 0 or len(points) == 0:
        return np.zeros(len(polys), dtype=np.int64)
    ci, pj = tree_query(shapely.STRtree(points), polys, predicate="contains")
    w = None if weights is None else np.asarray(weights)[pj]
    return np.bincount(ci, weights=w, minlength=len(polys)).astype(np.int64)


def close_clusters(clusters: np.ndarray, counts: np.ndarray, *, gap_m: float, min_buildings: int,
                   margin_m: float) -> np.ndarray:
    """Steps 3 and 4: the clusters with at least ``min_buildings`` main buildings, closed (shrunk back)."""
    keep = np.asarray(counts) >= min_buildings
    if not keep.any():
        return np.array([], dtype=object)
    return elementwise(shapely.buffer, np.asarray(clusters, dtype=object)[keep], -(gap_m / 2.0 - margin_m),
                       quad_segs=4)


def add_built_landuse(closed: np.ndarray, landuse: gpd.GeoDataFrame, main: np.ndarray, crs) -> gpd.GeoDataFrame:
    """Step 5: the closed clusters with every built-up land-use polygon that overlaps them, dissolved;
    one row per connected settlement with its main-building count (of ``main``)."""
    if len(closed) == 0:
        return _empty(crs)
    closed = np.asarray(closed, dtype=object).copy()
    lu = landuse[landuse["nutzung"].isin(BUILT_CLASSES).to_numpy()]
    if len(lu):
        lg = shapely.get_parts(np.asarray(lu.geometry.array, dtype=object))  # each part on its own
        ki, lj = query(shapely.STRtree(lg), closed, predicate="intersects")
        for k in np.unique(ki):  # one union per settlement (few), not per feature
            closed[k] = shapely.union_all(np.concatenate([[closed[k]], lg[lj[ki == k]]]))
    geoms = shapely.get_parts(shapely.union_all(closed))
    geoms = geoms[shapely.area(geoms) > 1.0]
    # main buildings per final part (clusters may have merged through the land use)
    n = count_inside(geoms, shapely.point_on_surface(main))
    return gpd.GeoDataFrame({"quelle": "abgeleitet", "hauptgebaeude": n}, geometry=geoms, crs=crs)
