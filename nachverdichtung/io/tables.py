"""Point tables (tree cadastres, species records) as CSV or XLSX, in the dialects offices export.

CSV: the separator (``;``, ``,``, tab, ``|``) and the decimal comma are detected, a UTF-8
byte-order mark is skipped, non-UTF-8 files are read as cp1252, and dBase-style headers
(``BAUMNUMMER,C,20;UMFANG,N,5,0`` as written by converting a .dbf) are cut to the field name.
XLSX: the first sheet (or ``sheet``) is read with openpyxl. Coordinates become points; rows whose
coordinates are missing or not numeric are dropped and counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from xml.etree.ElementTree import ParseError
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException
from pyproj import CRS

from ..errors import InputError
from .contract import TARGET_CRS, Read
from .names import find_field
from .vector import check_crs_plausible
from .window import clip_points, current_window

__all__ = ["read_table", "read_points_table", "DBASE_HEADER", "XLSX_ERRORS", "CSV_ERRORS"]

COORD_NAMES = {"x": ["x", "rechtswert", "ostwert", "easting", "east", "rw", "x_koord", "x_utm", "utm_x", "xkoordinate",
                     "koord_x", "gk_rechts", "rechts"],
               "y": ["y", "hochwert", "nordwert", "northing", "north", "hw", "y_koord", "y_utm", "utm_y", "ykoordinate",
                     "koord_y", "gk_hoch", "hoch"]}
#: A dBase field description in a header cell: name, type letter, width[, decimals].
DBASE_HEADER = re.compile(r"^\s*([^,]+?)\s*,\s*[CNFLDMI]\s*,\s*\d+\s*(?:,\s*\d+\s*)?$", re.I)
_SEPARATORS = (";", "\t", ",", "|")
#: What openpyxl raises for a file that is no (complete) XLSX: not a zip, a member missing, broken XML.
XLSX_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ParseError, OSError)
#: What pandas' CSV parser raises for text it cannot split into a table.
CSV_ERRORS = (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _separator(text: str) -> str:
    """The separator giving the same number (> 1) of cells in the first lines; dBase headers count."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    best, best_score = ";", -1
    for sep in _SEPARATORS:
        counts = [len(next(csv.reader([ln], delimiter=sep))) for ln in lines]
        if not counts or counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts) * 10 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


def read_table(path: Path, *, what: str, fix_key: str, encoding: str | None = None, separator: str | None = None,
               sheet: str | None = None) -> Read:
    """A CSV or XLSX table as strings, with clean column names, and notes for the run log."""
    notes: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl").fillna("")
        except ValueError as exc:
            raise InputError(f"{what}: Tabellenblatt nicht lesbar ({_short(exc)})", file=path,
                             fix=f"'sheet: <Blattname>' unter '{fix_key}' angeben") from None
        except XLSX_ERRORS as exc:
            raise InputError(f"{what}: XLSX-Datei kann nicht gelesen werden ({_short(exc)})", file=path,
                             fix="die Datei in Excel/LibreOffice öffnen und neu speichern") from None
        df.columns = [str(c).strip() for c in df.columns]
        return Read(df, (), {"file": str(path), "sheet": sheet})
    raw = path.read_bytes()
    if encoding is None and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"  # Excel's "Unicode-Text"
    if encoding is None:
        try:
            raw.decode("utf-8")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
    text = raw.decode(encoding, errors="replace")
    if not text.strip():
        raise InputError(f"{what}: Datei ist leer", file=path, fix="eine CSV mit Kopfzeile und Daten liefern")
    sep = separator or _separator(text[:50_000])
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except CSV_ERRORS as exc:
        raise InputError(f"{what}: CSV kann nicht gelesen werden ({_short(exc)})", file=path,
                         fix=f"Trennzeichen mit 'separator: \";\"' unter '{fix_key}' angeben") from None
    names = [str(c).strip() for c in df.columns]
    dbase = [DBASE_HEADER.match(c) for c in names]
    if sum(m is not None for m in dbase) >= max(1, len(names) // 2):
        names = [m.group(1) if m else c for m, c in zip(dbase, names)]
        notes.append(f"{path.name}: {what}: dBase-Kopfzeile ('NAME,C,20') erkannt, Feldnamen übernommen")
    df.columns = names
    return Read(df, tuple(notes), {"file": str(path), "encoding": encoding, "separator": sep})


def _to_number(s: pd.Series, decimal: str | None) -> pd.Series:
    t = s.astype("string").str.strip()
    if decimal == ",":
        t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif decimal is None:  # where both occur, the last one is the decimal separator: 410.010,5 / 1,234.5
        both = t.str.contains(",", regex=False) & t.str.contains(".", regex=False)
        comma_last = t.str.rfind(",") > t.str.rfind(".")
        t = t.where(~(both & comma_last), t.str.replace(".", "", regex=False))
        t = t.where(~(both & ~comma_last), t.str.replace(",", "", regex=False)).str.replace(",", ".", regex=False)
    return pd.to_numeric(t, errors="coerce").astype("float64")


def read_points_table(
    path: str | Path, *, fields: Mapping[str, str], crs: str | None, target_crs: str = TARGET_CRS,
    encoding: str | None = None, what: str = "Punkte", fix_key: str = "inputs", numeric: Iterable[str] = (),
    optional: Mapping[str, Iterable[str]] | None = None, separator: str | None = None,
    decimal: str | None = None, sheet: str | None = None,
) -> Read:
    """Read a CSV/XLSX with coordinate columns as points.

    Parameters
    ----------
    fields
        Canonical name → column; without ``x``/``y`` the usual German and English coordinate
        column names are tried (Rechtswert/Hochwert, Ostwert/Nordwert …).
    numeric
        Canonical columns to convert to numbers (decimal comma understood).
    optional
        Canonical name → candidate column names used when present; a missing optional column
        becomes empty (NaN) instead of an error.

    Returns
    -------
    Read
        The points in ``target_crs``, the notes for the log, and the source with ``columns``
        (canonical → source column).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what}: Datei nicht gefunden", file=path, fix=f"Pfad unter '{fix_key}' prüfen")
    args = dict(fields=dict(fields), crs=crs, target_crs=target_crs, encoding=encoding, what=what, fix_key=fix_key,
                numeric=tuple(numeric), optional={k: tuple(v) for k, v in (optional or {}).items()},
                separator=separator, decimal=decimal, sheet=sheet)
    if current_window() is None:
        read = _parse_points(path, **args)
    else:  # a dask worker reads the same table for every partition: parse it once per process
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, repr(sorted(args.items())))
        if key not in _PARSED:
            while len(_PARSED) >= _PARSED_MAX:  # bounded memory: the oldest table goes
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[key] = _parse_points(path, **args)
        read = _PARSED[key]
    return Read(clip_points(read.frame, path.name), read.problems, read.source)  # inside a window only its points


#: The last points tables parsed inside a read window (see :func:`read_points_table`), at most ``_PARSED_MAX``.
_PARSED: dict[tuple, Read] = {}
_PARSED_MAX = 4


def _parse_points(path: Path, *, fields, crs, target_crs, encoding, what, fix_key, numeric, optional, separator,
                  decimal, sheet) -> Read:
    """Every point of the table, in ``target_crs`` (see :func:`read_points_table`)."""
    table = read_table(path, what=what, fix_key=fix_key, encoding=encoding, separator=separator, sheet=sheet)
    notes = list(table.problems)
    out, used = _map_columns(table.frame, fields, optional, path=path, what=what, fix_key=fix_key)
    x, y = _to_number(out.pop("x"), decimal), _to_number(out.pop("y"), decimal)
    for col in numeric:
        if col in out:
            raw_col = out[col].astype("string").str.strip()
            out[col] = _to_number(raw_col, decimal)
            text = int((out[col].isna() & raw_col.notna() & (raw_col != "")
                        & ~raw_col.str.lower().isin(["nan", "na", "n/a", "-", "–"])).sum())
            if text:
                notes.append(f"{path.name}: {what}: {text} Werte in '{col}' sind keine Zahl, als leer gewertet "
                             f"(Spalte {used.get(col)!r})")
    good = x.notna() & y.notna() & np.isfinite(x) & np.isfinite(y)
    dropped = int((~good).sum())
    if dropped:
        notes.append(f"{path.name}: {what}: {dropped} Zeilen ohne gültige Koordinaten verworfen")
    gdf = gpd.GeoDataFrame(out[good].reset_index(drop=True),
                           geometry=gpd.points_from_xy(x[good], y[good]), crs=crs or target_crs)
    check_crs_plausible(gdf, file=path, what=what, key=f"{fix_key}.crs")
    source = {**table.source, "crs": gdf.crs.to_string(), "columns": used}
    if not gdf.crs.equals(CRS.from_user_input(target_crs)):
        gdf = gdf.to_crs(target_crs)
    return Read(gdf, tuple(notes), source)


def _map_columns(df: pd.DataFrame, fields: Mapping[str, str], optional, *, path: Path, what: str,
                 fix_key: str) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """The canonical columns of a table and canonical → source column; missing required ones raise."""
    mapping = dict(fields)
    for canon, names in COORD_NAMES.items():
        if canon not in mapping:
            mapping[canon] = find_field(df.columns, names) or canon
    missing = [f"{canon} ({col!r})" for canon, col in mapping.items() if find_field(df.columns, [col]) is None]
    if missing:
        raise InputError(
            f"{what}: Spalte(n) {', '.join(missing)} fehlen; vorhanden: {', '.join(map(str, df.columns))}",
            file=path, fix=f"Spaltennamen unter '{fix_key}.fields' zuordnen",
        )
    used = {canon: find_field(df.columns, [col]) for canon, col in mapping.items()}
    out = pd.DataFrame({canon: df[col] for canon, col in used.items()})
    for canon, names in (optional or {}).items():
        if canon not in out:
            col = find_field(df.columns, list(names))
            used[canon] = col
            out[canon] = df[col] if col is not None else pd.Series(np.nan, index=df.index, dtype=object)
    return out, used
