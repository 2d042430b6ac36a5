"""Test helper: the DXF reader's role frames as a dict, with the file-level problems beside them."""

from __future__ import annotations

from nachverdichtung.io import dxf


class Frames(dict):
    """Role → GeoDataFrame, plus ``problems`` and ``details`` of the first role (the file's)."""

    def __init__(self, reads: dict) -> None:
        super().__init__({role: read.frame for role, read in reads.items()})
        first = next(iter(reads.values()))
        self.problems = list(first.problems)
        self.details = list(first.details)


def read_alkis_dxf(*args, **kwargs) -> Frames:
    """:func:`nachverdichtung.io.dxf.read_alkis_dxf` as role frames with ``.problems``."""
    return Frames(dxf.read_alkis_dxf(*args, **kwargs))
