"""Tables for spreadsheets: CSV for German Excel and XLSX, one row per area."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["area_table", "write_csv", "write_xlsx"]


def area_table(assessment) -> pd.DataFrame:
    """The areas without geometry, with the id as the first column."""
    df = pd.DataFrame(assessment.areas.drop(columns=assessment.areas.geometry.name))
    return df.reset_index()


def write_csv(assessment, folder: Path) -> list[Path]:
    """Write ``bewertung.csv`` and ``flurstuecke.csv``.

    The format follows ``output.csv_separator`` / ``output.csv_decimal`` (default ``;`` and ``,``,
    which German Excel opens directly) and is UTF-8 with a byte-order mark so umlauts survive.
    """
    out = assessment.config.output
    paths = []
    parcels = pd.DataFrame(assessment.parcels.drop(columns=assessment.parcels.geometry.name))
    for name, df in (("bewertung.csv", area_table(assessment)), ("flurstuecke.csv", parcels)):
        path = Path(folder) / name
        df.to_csv(path, sep=out.csv_separator, decimal=out.csv_decimal, index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths


def write_xlsx(assessment, folder: Path) -> list[Path]:
    """Write ``bewertung.xlsx`` with the sheets Bewertung and Flurstücke."""
    path = Path(folder) / "bewertung.xlsx"
    parcels = pd.DataFrame(assessment.parcels.drop(columns=assessment.parcels.geometry.name))
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        area_table(assessment).to_excel(xw, sheet_name="Bewertung", index=False)
        parcels.to_excel(xw, sheet_name="Flurstücke", index=False)
    return [path]
