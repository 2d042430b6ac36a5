"""The response table an office edits in Excel (``rueckmeldungen.xlsx``) and reading it back.

One row per reference code and area with ``status`` (a drop-down of :data:`~.store.STATUS`),
``datum`` and ``notiz``. :func:`read_responses` checks every row against the store: an unknown code,
reference or area is one clear line naming the file, the row and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io.tables import CSV_ERRORS, XLSX_ERRORS
from .store import STATUS, private_file

__all__ = ["RESPONSE_FILE", "COLUMNS", "write_response_table", "read_responses"]

RESPONSE_FILE = "rueckmeldungen.xlsx"
COLUMNS = ("referenz", "adressat", "flaeche_id", "klasse", "flurstuecke", "status", "datum", "notiz")


def write_response_table(path: Path, answers: pd.DataFrame, addressees: pd.DataFrame, rows: pd.DataFrame) -> Path:
    """Write the response table for the current answers (mode 0600).

    Parameters
    ----------
    answers
        Stored answers (``referenz, flaeche_id, klasse, status, datum, notiz``).
    addressees
        Index ``referenz`` with ``name``.
    rows
        Parcels per reference and area (``referenz, flaeche_id, flstkennz``).
    """
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    parcels = rows.groupby(["referenz", "flaeche_id"])["flstkennz"].agg(", ".join)
    t = answers.copy()
    t["adressat"] = t["referenz"].map(addressees["name"]).astype(object).fillna("")
    t["flurstuecke"] = [parcels.get((r, f), "") for r, f in zip(t["referenz"], t["flaeche_id"])]
    t = t[list(COLUMNS)]
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        t.to_excel(xw, sheet_name="Rückmeldungen", index=False, freeze_panes=(1, 1))
        pd.DataFrame({"status": STATUS}).to_excel(xw, sheet_name="Codes", index=False)
        ws = xw.sheets["Rückmeldungen"]
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for col, width in zip("ABCDEFGH", (14, 30, 16, 16, 44, 30, 12, 40)):
            ws.column_dimensions[col].width = width
        dv = DataValidation(type="list", formula1="=Codes!$A$2:$A$%d" % (len(STATUS) + 1), allow_blank=False,
                            showErrorMessage=True, errorTitle="Unbekannter Status",
                            error="Bitte einen Status aus der Liste wählen.")
        ws.add_data_validation(dv)
        dv.add(f"F2:F{max(len(t) + 1, 2)}")
        ws.auto_filter.ref = ws.dimensions
    return private_file(path)


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("Rückmeldetabelle nicht gefunden", file=path, fix="Pfad prüfen")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(path, sheet_name=0, dtype=object)
        return pd.read_csv(path, sep=None, engine="python", dtype=object, encoding="utf-8-sig")
    except (*XLSX_ERRORS, *CSV_ERRORS, UnicodeDecodeError) as exc:
        raise InputError(f"nicht lesbar ({type(exc).__name__})", file=path,
                         fix="als .xlsx (Excel) oder .csv speichern") from None


def _dates(values: pd.Series, path: Path, rows: pd.Index) -> pd.Series:
    text = values.map(lambda v: "" if pd.isna(v) else (v.date().isoformat() if hasattr(v, "date") else str(v).strip()))
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y", "%d.%m.%y"):
        parsed = parsed.fillna(pd.to_datetime(text.where(text != ""), errors="coerce", format=fmt))
    bad = (text != "") & parsed.isna()
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise InputError(f"Zeile {rows[i]}: Datum {text.iloc[i]!r} nicht lesbar", file=path, key="datum",
                         fix="als TT.MM.JJJJ oder JJJJ-MM-TT eintragen")
    return parsed.dt.date.map(lambda d: d.isoformat() if pd.notna(d) else "")


def read_responses(path: Path, known: pd.DataFrame) -> pd.DataFrame:
    """Read and check a filled response table.

    Parameters
    ----------
    known
        Stored answers (``referenz, flaeche_id``): every row must name one of these pairs.

    Returns
    -------
    ``referenz, flaeche_id, status, datum, notiz`` of every row.

    Raises
    ------
    InputError
        Missing column, unknown status, reference or area, unreadable date, duplicated row.
    """
    path = Path(path)
    df = _read(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    for col in ("referenz", "flaeche_id", "status"):
        if col not in df.columns:
            raise InputError(f"Spalte {col!r} fehlt", file=path,
                             fix="die Tabelle aus 'beteiligung start' verwenden (Spalten nicht umbenennen)")
    df = df.dropna(how="all", subset=["referenz", "flaeche_id", "status"])
    rows = pd.Index(df.index + 2)
    out = pd.DataFrame({c: df[c].map(lambda v: "" if pd.isna(v) else str(v).strip()) for c in ("referenz", "flaeche_id", "status")})
    out["notiz"] = df["notiz"].map(lambda v: "" if pd.isna(v) else str(v).strip()) if "notiz" in df.columns else ""
    bad = ~out["status"].isin(STATUS)
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise InputError(f"Zeile {rows[i]}: unbekannter Status {out['status'].iloc[i]!r}", file=path, key="status",
                         fix=f"einen dieser Werte eintragen: {', '.join(STATUS)}")
    refs = set(known["referenz"])
    bad = ~out["referenz"].isin(refs)
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise InputError(f"Zeile {rows[i]}: unbekanntes Zeichen {out['referenz'].iloc[i]!r}", file=path, key="referenz",
                         fix="das Zeichen aus dem Anschreiben (Spalte referenz der erzeugten Tabelle) eintragen")
    pairs = set(zip(known["referenz"], known["flaeche_id"]))
    bad = pd.Series([p not in pairs for p in zip(out["referenz"], out["flaeche_id"])], index=out.index)
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        raise InputError(f"Zeile {rows[i]}: Fläche {out['flaeche_id'].iloc[i]!r} gehört nicht zum Zeichen "
                         f"{out['referenz'].iloc[i]!r}", file=path, key="flaeche_id",
                         fix="Flächennummer aus der erzeugten Tabelle übernehmen")
    dup = out.duplicated(["referenz", "flaeche_id"])
    if dup.any():
        i = dup.to_numpy().nonzero()[0][0]
        raise InputError(f"Zeile {rows[i]}: Zeichen und Fläche doppelt", file=path,
                         fix="je Zeichen und Fläche nur eine Zeile behalten")
    out["datum"] = _dates(df["datum"], path, rows) if "datum" in df.columns else ""
    return out.reset_index(drop=True)
