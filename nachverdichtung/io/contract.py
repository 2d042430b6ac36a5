"""The reader contract: every reader returns one frozen :class:`Read`.

A reader takes a source description (a file, a :class:`~nachverdichtung.config.SourceConfig` or
the ``alkis`` section) and the target CRS, and returns what it read, every problem it repaired or
noticed (one German sentence each) and where the data came from. Readers never log problems and
never hide them in ``GeoDataFrame.attrs``: :func:`nachverdichtung.layers.load_layers` collects
the problems of all readers and reports them once (run log, ``validate``, ``Layers.problems``).
Bad input that makes a source unusable is not a problem but an
:class:`~nachverdichtung.errors.InputError` (one line naming the file and the fix).

A cadastre reader returns one :class:`Read` per role (``parcels``, ``buildings``, ``roads``,
``landuse``); file-level problems travel with the first role it returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Read", "TARGET_CRS"]

#: The default target CRS of every reader and of the configuration (ETRS89 / UTM 32N).
TARGET_CRS = "EPSG:25832"


@dataclass(frozen=True)
class Read:
    """What one reader returns.

    Attributes
    ----------
    frame
        The data: a GeoDataFrame in the target CRS (vector inputs, one cadastre role) or a
        :class:`~nachverdichtung.io.raster.RasterSource` (rasters, read lazily later).
    problems
        Repairs and findings, one German sentence each, naming the file.
    source
        Where it came from: ``file`` and, where known, ``layer``, ``encoding``, ``crs``.
    details
        The single cases behind counted problem lines (for the run log only).

    Examples
    --------
    >>> r = Read(frame=None, problems=("a.shp: 2 leere Geometrien verworfen",), source={"file": "a.shp"})
    >>> r.with_problems(["b"]).problems
    ('a.shp: 2 leere Geometrien verworfen', 'b')
    """

    frame: Any
    problems: tuple[str, ...] = ()
    source: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[str, ...] = ()

    def with_problems(self, more) -> "Read":
        """A copy with ``more`` problems appended."""
        return dataclasses.replace(self, problems=(*self.problems, *more))

    def with_frame(self, frame) -> "Read":
        """A copy holding another frame (the same problems and source)."""
        return dataclasses.replace(self, frame=frame)
