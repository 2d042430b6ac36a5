"""Tables for spreadsheets: CSV for German Excel and XLSX, one row per area."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .styles import CLASS_COLOURS, STATUS_COLOURS

__all__ = ["area_table", "parcel_table", "write_csv", "write_xlsx"]

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
    :data:`MAX_WIDTH` characters) and the class / status cells filled in the map colours.
    """
    path = Path(folder) / "bewertung.xlsx"
    areas, parcels = area_table(assessment), parcel_table(assessment)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for sheet, df, colours in (("Bewertung", areas, CLASS_COLOURS), ("Flurstücke", parcels, STATUS_COLOURS)):
            df.to_excel(xw, sheet_name=sheet, index=False, freeze_panes=(1, 1))
            _format_sheet(xw.sheets[sheet], df, colours)
    return [path]


def _format_sheet(ws, df: pd.DataFrame, colours: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=False, vertical="top")
    ws.auto_filter.ref = ws.dimensions
    for i, col in enumerate(df.columns, start=1):
        values = df[col].astype(object)
        content = values.where(values.notna(), "").astype(str).str.len()
        width = max(len(str(col)), int(content.max()) if len(content) else 0)
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    fills = {k: PatternFill("solid", start_color=v.lstrip("#").upper(), end_color=v.lstrip("#").upper())
             for k, v in colours.items()}
    white = Font(color="FFFFFF", bold=True)
    targets = [c for c in df.columns if c in ("klasse", "status") or str(c).endswith("_klasse")]
    for col in targets:
        j = df.columns.get_loc(col) + 1
        for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            cell = row[0]
            fill = fills.get(cell.value)
            if fill is not None:
                cell.fill = fill
                if col == "klasse" and cell.value != "nicht bewertet" and colours is CLASS_COLOURS:
                    cell.font = white
