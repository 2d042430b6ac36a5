"""The read window: read only the features of one spatial window from every vector input.

A partition of the dask engine (:mod:`nachverdichtung.engine`) loads its inputs inside
``with reading_window(box):`` (through ``load_layers(config, window=box)``). Every vector read
then asks OGR for the features whose bounding box intersects the window (``pyogrio`` ``bbox``
reads, served by the GeoPackage R-tree or a Shapefile ``.qix`` where present), point tables are
cut to it after parsing, and every read is counted per file (:attr:`Window.rows`), so a test can
assert what a partition read. Rasters are read by window anyway (:mod:`nachverdichtung.zonal`).

A window may instead name the features to read by id (``fids``, per file): the engine's driver
reads the parcels without geometry this way, which no bounding box can find.

Examples
--------
>>> with reading_window((0.0, 0.0, 100.0, 100.0), crs="EPSG:25832") as w:  # doctest: +SKIP
...     gdf = read_vector("gebaeude.shp")
>>> w.rows  # doctest: +SKIP
{'gebaeude.shp': 12}
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS
from pyproj.transformer import Transformer

__all__ = ["Window", "reading_window", "current_window", "window_bbox", "window_fids", "file_key", "count_rows",
           "clip_points"]


@dataclass
class Window:
    """A rectangular read window in ``crs`` and the rows read inside it per file.

    Attributes
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` in ``crs``.
    crs
        The CRS of ``bounds`` (the configuration's target CRS).
    rows
        File (and layer) → number of features returned for this window.
    fids
        ``None``, or :func:`file_key` → the feature ids to read from that file instead of a
        ``bbox`` read (files not named: none).
    """

    bounds: tuple[float, float, float, float]
    crs: str
    rows: dict[str, int] = field(default_factory=dict)
    fids: Mapping[str, np.ndarray] | None = None


_CURRENT: contextvars.ContextVar[Window | None] = contextvars.ContextVar("nachverdichtung_window", default=None)


@contextmanager
def reading_window(bounds, *, crs: str, fids: Mapping[str, np.ndarray] | None = None) -> Iterator[Window | None]:
    """Restrict every vector read in the block to ``bounds`` (``None``: read everything), or with
    ``fids`` to those features of the files named (see :class:`Window`)."""
    if bounds is None:
        yield None
        return
    window = Window(tuple(float(v) for v in bounds), crs, fids=fids)
    token = _CURRENT.set(window)
    try:
        yield window
    finally:
        _CURRENT.reset(token)


def current_window() -> Window | None:
    """The active read window, or ``None``."""
    return _CURRENT.get()


def window_bbox(file_crs) -> tuple[float, float, float, float] | None:
    """The active window as a ``bbox`` in the file's CRS (``None`` without a window or CRS).

    A window in another CRS is transformed with densified edges, so the box covers it completely.
    """
    window = _CURRENT.get()
    if window is None:
        return None
    if file_crs is None:
        return window.bounds
    src = CRS.from_user_input(window.crs)
    dst = CRS.from_user_input(file_crs)
    if src.equals(dst):
        return window.bounds
    return tuple(Transformer.from_crs(src, dst, always_xy=True).transform_bounds(*window.bounds, densify_pts=21))


def file_key(path, layer: str | None = None) -> str:
    """The key of a file (and layer) in :attr:`Window.fids`."""
    return f"{Path(path).resolve()}:{layer or ''}"


def window_fids(path, layer: str | None = None) -> np.ndarray | None:
    """The feature ids to read from ``path`` in the active window, or ``None`` for a ``bbox`` read."""
    window = _CURRENT.get()
    if window is None or window.fids is None:
        return None
    return np.asarray(window.fids.get(file_key(path, layer), ()), dtype=np.int64)


def count_rows(name: str, n: int) -> None:
    """Record that ``n`` rows of ``name`` were read inside the active window."""
    window = _CURRENT.get()
    if window is not None:
        window.rows[name] = window.rows.get(name, 0) + int(n)


def clip_points(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """The rows of a point table (in the window's CRS) inside the active window, counted."""
    window = _CURRENT.get()
    if window is None:
        return gdf
    xmin, ymin, xmax, ymax = window.bounds
    out = gdf.cx[xmin:xmax, ymin:ymax].reset_index(drop=True)
    count_rows(name, len(out))
    return out
