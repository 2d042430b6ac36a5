"""Spatial-index queries whose answers do not depend on how the tree was built.

An STRtree returns the hits of each query geometry in the order it walks its nodes, and that
order changes with the set of geometries in the tree. Where hits are then united or subtracted
one after another, the floating-point vertices of the result change with it (by ~1e-11 m), which
can flip a borderline test (does a footprint fit?) between a run over the whole region and a
partition of the dask engine. :func:`query` returns the pairs sorted by (query, tree position).

Likewise ``STRtree.query_nearest(..., all_matches=False)`` returns *one* of several equidistant
items: a building at a junction, exactly as far from two streets, would belong to one street in
one run and to the other in the next. :func:`nearest` breaks every exact tie by the smallest key.
"""

from __future__ import annotations

import numpy as np
import shapely

from .parallel import tree_query

__all__ = ["nearest", "query"]


def nearest(tree: shapely.STRtree, geoms: np.ndarray, *, key: np.ndarray | None = None,
            max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per geometry the nearest tree item, exact ties going to the smallest ``key``.

    Parameters
    ----------
    tree
        The tree to search.
    geoms
        The query geometries.
    key
        Per tree item the tie-break key (e.g. the street a piece belongs to); default: the position.
    max_distance
        Items farther away are not found.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Positions of the geometries that found an item, the positions of those items and the distances.

    Examples
    --------
    >>> tree = shapely.STRtree([shapely.Point(2, 0), shapely.Point(-2, 0)])
    >>> nearest(tree, np.array([shapely.Point(0, 0)]))[1].tolist()
    [0]
    """
    (gi, tj), dist = tree_query(tree, geoms, nearest=True, max_distance=max_distance, all_matches=True,
                                return_distance=True)
    k = tj if key is None else np.asarray(key)[tj]
    order = np.lexsort((tj, k, gi))
    gi, tj, dist = gi[order], tj[order], dist[order]
    first = np.r_[True, gi[1:] != gi[:-1]] if len(gi) else np.zeros(0, dtype=bool)
    return gi[first], tj[first], dist[first]


def query(tree: shapely.STRtree, geoms, predicate: str | None = None,
          distance: float | np.ndarray | None = None) -> np.ndarray:
    """``tree.query(geoms, predicate, distance)`` with the pairs sorted by (query, tree position).

    Examples
    --------
    >>> tree = shapely.STRtree([shapely.box(k, 0, k + 1, 1) for k in range(4)])
    >>> query(tree, np.array([shapely.box(0.5, 0, 3.5, 1)]), "intersects").tolist()
    [[0, 0, 0, 0], [0, 1, 2, 3]]
    """
    kw = {"distance": distance} if distance is not None else {}
    qi, tj = tree_query(tree, geoms, predicate=predicate, **kw)
    order = np.lexsort((tj, qi))
    return np.stack([qi[order], tj[order]])
