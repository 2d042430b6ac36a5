"""Notes from ``ax_bauraumoderbodenordnungsrecht``: running reallocations, land consolidation, plans.

A running Umlegung or Flurbereinigung changes who owns what and where the boundaries will lie; it is
a fact the planner must know before talking to owners, but it does not make an area more or less
suitable. So it is a note on the fact sheet (column ``bodenordnung``), never a class.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .criteria.overlay import joined_labels, overlay

__all__ = ["land_order_notes"]


def land_order_notes(areas: gpd.GeoDataFrame, layers, *, min_m2: float = 1.0) -> pd.Series:
    """One German note per area naming the procedures and statutes it lies in ('' where none).

    Examples
    --------
    >>> land_order_notes(areas, layers).iloc[0]  # doctest: +SKIP
    'Umlegung nach dem BauGB „Am Rebenhang“ (Bodenordnung, laut ALKIS)'
    """
    lo = layers.vector("legal_landorder")
    if lo is None or not len(lo) or not len(areas):
        return pd.Series("", index=areas.index, dtype=object, name="bodenordnung")
    g = np.asarray(areas.geometry.array, dtype=object)
    names = lo["name"].fillna("").astype(str).to_numpy(dtype=object)
    art = lo["art"].astype(str).to_numpy(dtype=object)
    label = np.where(names != "", art + " „" + names + "“", art) + " (" + lo["kategorie"].astype(str).to_numpy(
        dtype=object) + ", laut ALKIS)"
    o = overlay(g, np.asarray(lo.geometry.array, dtype=object))
    notes = joined_labels(label.astype(object)[o.feature], o.area, o.hits(np.ones(len(lo), bool), min_m2), len(g))
    return pd.Series(notes, index=areas.index, dtype=object, name="bodenordnung")
