"""Tables for spreadsheets: CSV for German Excel and XLSX, one row per area."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..criteria.base import UNBEWERTET
from .styles import CLASS_COLOURS, STATUS_COLOURS
from .xlsx import Sheet, write_workbook

__all__ = ["area_table", "column_widths", "parcel_table", "write_csv", "write_xlsx"]

#: Widest column in the XLSX (characters); long reasons wrap instead.
MAX_WIDTH = 60


def area_table(assessment) -> pd.DataFrame:
    """The areas without geometry, with the id as the first column."""
    df = pd.DataFrame(assessment.areas.drop(columns=assessment.areas.geometry.name))
    return df.reset_index()


def parcel_table(assessment) -> pd.DataFrame:
    """The parcel accounting without geometry (parcels excluded at validation included)."""
    p = assessment.parcels
    return pd.DataFrame(p.drop(columns=p.geometry.name)).reset_index(drop=p.index.name is None)


def write_csv(assessment, folder: Path) -> list[Path]:
    """Write ``bewertung.csv`` and ``flurstuecke.csv``.

    The format follows ``output.csv_separator`` / ``output.csv_decimal`` (default ``;`` and ``,``,
    which German Excel opens directly by double-click) and is UTF-8 with a byte-order mark so
    umlauts survive. Texts are written in full.
    """
    out = assessment.config.output
    paths = []
    for name, df in (("bewertung.csv", area_table(assessment)), ("flurstuecke.csv", parcel_table(assessment))):
        path = Path(folder) / name
        df.to_csv(path, sep=out.csv_separator, decimal=out.csv_decimal, index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_xlsx(assessment, folder: Path) -> list[Path]:
    """Write ``bewertung.xlsx`` with the sheets Bewertung and Flurstücke.

    Bold frozen header row, an autofilter, column widths fitted to the content (at most
    :data:`MAX_WIDTH` characters) and the class / status cells filled in the map colours (the
    overall class of an area in white bold type). Streamed column-wise (:mod:`.xlsx`).
    """
    path = Path(folder) / "bewertung.xlsx"
    styles = {f"klasse:{k}": (v, k != UNBEWERTET) for k, v in CLASS_COLOURS.items()}
    styles |= {f"fill:{k}": (v, False) for k, v in {**CLASS_COLOURS, **STATUS_COLOURS}.items()}
    sheets = []
    for name, df, colours in (("Bewertung", area_table(assessment), CLASS_COLOURS),
                              ("Flurstücke", parcel_table(assessment), STATUS_COLOURS)):
        targets = [c for c in df.columns if c in ("klasse", "status") or str(c).endswith("_klasse")]
        fills = {c: {k: (f"klasse:{k}" if c == "klasse" and colours is CLASS_COLOURS else f"fill:{k}")
                     for k in colours} for c in targets}
        sheets.append(Sheet(name, df, column_widths(df), fills))
    write_workbook(path, sheets, styles)
    return [path]


def column_widths(df: pd.DataFrame) -> list[int]:
    """Width per column: the longest text of header or values plus 2, at most :data:`MAX_WIDTH`."""
    return [min(max(len(str(col)), _longest(df[col])) + 2, MAX_WIDTH) for col in df.columns]


def _longest(values: pd.Series) -> int:
    """Characters of the longest ``str(value)`` in ``values`` (0 for none or only missing ones).

    Texts are measured in one vectorised pass; numbers and booleans once per distinct value (floats
    by their bit pattern, so ``-0.0`` is measured apart from ``0.0``).
    """
    kind = values.dtype.kind
    if isinstance(values.dtype, pd.StringDtype):
        lengths = values.str.len()
        return int(lengths.max()) if lengths.notna().any() else 0
    if kind in "biuf" and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        v = values.to_numpy()
        if kind == "f":
            v = v[~np.isnan(v)]
            distinct = np.unique(v.view(f"i{v.itemsize}")).view(v.dtype)
        else:
            distinct = pd.unique(v)
        return max(map(len, map(str, distinct.tolist())), default=0)
    values = values.astype(object)
    content = values.where(values.notna(), "").astype(str).str.len()
    return int(content.max()) if len(content) else 0
