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

from .sindex import query

__all__ = ["derive_settlement", "BUILT_CLASSES"]

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
    main = np.asarray(buildings.geometry[buildings["kategorie"].ne("neben").to_numpy()].array, dtype=object)
    empty = gpd.GeoDataFrame({"quelle": [], "hauptgebaeude": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    if len(main) == 0:
        return empty
    half = gap_m / 2.0
    clusters = shapely.get_parts(shapely.union_all(shapely.buffer(main, half, quad_segs=4)))
    ci, _bi = shapely.STRtree(shapely.point_on_surface(main)).query(clusters, predicate="contains")
    counts = np.bincount(ci, minlength=len(clusters))
    keep = counts >= min_buildings
    if not keep.any():
        return empty
    clusters, counts = clusters[keep], counts[keep]
    closed = shapely.buffer(clusters, -(half - margin_m), quad_segs=4)
    lu = landuse[landuse["nutzung"].isin(BUILT_CLASSES).to_numpy()]
    if len(lu):
        lg = shapely.get_parts(np.asarray(lu.geometry.array, dtype=object))  # each part on its own
        ki, lj = query(shapely.STRtree(lg), closed, predicate="intersects")
        for k in np.unique(ki):  # one union per settlement (few), not per feature
            closed[k] = shapely.union_all(np.concatenate([[closed[k]], lg[lj[ki == k]]]))
    geoms = shapely.get_parts(shapely.union_all(closed))
    geoms = geoms[shapely.area(geoms) > 1.0]
    # main buildings per final part (clusters may have merged through the land use)
    gi, _ = shapely.STRtree(shapely.point_on_surface(main)).query(geoms, predicate="contains")
    n = np.bincount(gi, minlength=len(geoms))
    return gpd.GeoDataFrame({"quelle": "abgeleitet", "hauptgebaeude": n}, geometry=geoms, crs=crs)
