"""Overlap of candidate areas with categorised restriction polygons (shared by the legal criteria).

Not a criterion: it registers nothing. One STRtree query per call, vectorised intersections, and
per-area aggregation with ``bincount`` / ``groupby`` (no Python loop over features).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .base import query_pairs

__all__ = ["Overlay", "overlay", "joined_labels"]


@dataclass(frozen=True)
class Overlay:
    """Pairs (area, feature) within ``reach`` of each other, with overlap area and distance."""

    area: np.ndarray      # area positions
    feature: np.ndarray   # feature positions
    inter_m2: np.ndarray  # intersection area
    dist_m: np.ndarray    # distance (0 when touching/overlapping)
    n: int                # number of areas

    def overlap_m2(self, mask: np.ndarray, min_m2: float) -> np.ndarray:
        """Per area: summed overlap with the features selected by ``mask`` (pairs below ``min_m2`` ignored)."""
        w = np.where(mask[self.feature] & (self.inter_m2 >= min_m2), self.inter_m2, 0.0)
        return np.bincount(self.area, weights=w, minlength=self.n)

    def hits(self, mask: np.ndarray, min_m2: float) -> np.ndarray:
        """Pair mask: feature selected by ``mask`` and overlapping by at least ``min_m2``."""
        return mask[self.feature] & (self.inter_m2 >= min_m2)

    def nearest(self, mask: np.ndarray) -> np.ndarray:
        """Per area: distance to the nearest selected feature within reach (NaN when none)."""
        out = np.full(self.n, np.inf)
        sel = mask[self.feature]
        if sel.any():
            d = pd.Series(self.dist_m[sel]).groupby(self.area[sel]).min()
            out[d.index.to_numpy(dtype=int)] = d.to_numpy()
        return np.where(np.isinf(out), np.nan, out)


def overlay(areas: np.ndarray, features: np.ndarray, reach: float = 0.0) -> Overlay:
    """Intersect every area with every feature within ``reach`` metres.

    Examples
    --------
    >>> o = overlay(np.array([shapely.box(0, 0, 10, 10)]), np.array([shapely.box(5, 0, 20, 10)]))
    >>> float(o.inter_m2[0])
    50.0
    """
    ai, fi = query_pairs(features, areas, "dwithin", max(reach, 0.0))
    inter = shapely.area(shapely.intersection(areas[ai], features[fi])) if len(ai) else np.zeros(0)
    dist = shapely.distance(areas[ai], features[fi]) if len(ai) else np.zeros(0)
    return Overlay(ai, fi, inter, dist, len(areas))


def joined_labels(labels: np.ndarray, area: np.ndarray, pair_mask: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique labels of the selected pairs per area, joined by ", " ('' where none).

    Examples
    --------
    >>> joined_labels(np.array(["b", "a", "b"]), np.array([0, 0, 1]), np.array([True, True, False]), 2).tolist()
    ['a, b', '']
    """
    out = np.full(n, "", dtype=object)
    if pair_mask.any():
        agg = pd.Series(labels[pair_mask]).groupby(area[pair_mask]).agg(lambda s: ", ".join(sorted(set(s))))
        out[agg.index.to_numpy(dtype=int)] = agg.to_numpy()
    return out
