"""Owner data in: one contract for every source, kept apart from ``Layers``.

``read_owners(config) -> OwnerData``: who is addressed (``addressees``) and which parcel each
addressee holds in which role and share (``holdings``). The PostNAS reader and the table reader
(CSV/XLSX Liegenschaftsbuch extract) are registered in :data:`READERS`; a database source
(PostGIS, issue #23) only has to supply the PostNAS tables to :func:`.postnas.resolve_postnas`.

Nothing here logs a name or an address: problems name files, fields and counts only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.postgis import is_database_url
from .ownerdata import ADDRESSEE_COLUMNS, HOLDING_COLUMNS, OwnerData, as_list, share_text, stable_id
from .postnas import read_postnas, read_postnas_database

__all__ = ["OwnerData", "ADDRESSEE_COLUMNS", "HOLDING_COLUMNS", "READERS", "read_owners", "read_table",
           "as_list", "share_text", "normalise_kennz", "stable_id"]

_KENNZ = re.compile(r"^\d{6}[0-9_]{3}\d{5}[0-9_]{4}[0-9_]{2}$")


def normalise_kennz(values: pd.Series) -> pd.Series:
    """Parcel ids as 20-character Flurstückskennzeichen (``_`` padded, as ALKIS writes them)."""
    s = values.astype(str).str.strip().str.replace(" ", "", regex=False)
    return s.where(s.str.len() >= 20, s.str.ljust(20, "_"))


def read_owners(config) -> OwnerData:
    """Read the owner source named by ``config`` (an :class:`~nachverdichtung.config.OwnersConfig`).

    Raises
    ------
    InputError
        If the file is missing, of an unknown kind, or lacks tables or columns; the message names the
        file, the table or column and the fix.
    """
    if is_database_url(config.path):  # the ALKIS import database (norBIT ALKIS-Import, PostNAS)
        return read_postnas_database(config.path)
    path = Path(config.path)
    if not path.exists():
        raise InputError("Eigentümerdatei nicht gefunden", file=path,
                         fix="Pfad unter 'owners: {path: …}' korrigieren")
    schema = config.schema
    if schema == "auto":
        schema = "tabelle" if path.suffix.lower() in (".csv", ".txt", ".xlsx", ".xls") else "postnas"
    return READERS[schema](path, config)


def _read_frame(path: Path, config) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        try:
            return pd.read_excel(path, sheet_name=config.sheet or 0, dtype=str)
        except ValueError as exc:
            raise InputError(f"Tabellenblatt nicht lesbar: {exc}", file=path,
                             fix="'owners.sheet' auf ein vorhandenes Blatt setzen") from None
    encoding = config.encoding or "utf-8-sig"
    try:
        return pd.read_csv(path, sep=None, engine="python", dtype=str, encoding=encoding)
    except UnicodeDecodeError:
        raise InputError(f"Datei ist nicht {encoding}-kodiert", file=path,
                         fix="'owners.encoding: cp1252' setzen oder als UTF-8 speichern") from None


_ALIASES = {
    "flstkennz": ("flstkennz", "flurstueckskennzeichen", "flurstückskennzeichen", "kennzeichen", "flurstueck"),
    "name": ("name", "eigentuemer", "eigentümer", "adressat"),
    "anschrift": ("anschrift", "adresse", "postanschrift"),
    "strasse": ("strasse", "straße", "strasse_hausnummer", "straße_hausnummer"),
    "plz_ort": ("plz_ort", "plz ort", "wohnort"),
    "anteil": ("anteil", "miteigentumsanteil"),
    "rolle": ("rolle", "art", "eigentumsart"),
}


def _columns(df: pd.DataFrame, config, path: Path) -> dict[str, str]:
    lower = {str(c).strip().lower(): c for c in df.columns}
    found = {}
    for canon, aliases in _ALIASES.items():
        if canon in config.fields:
            col = config.fields[canon]
            if col not in df.columns:
                raise InputError(f"Spalte {col!r} (für {canon}) fehlt", file=path, key=f"owners.fields.{canon}",
                                 fix=f"vorhanden sind: {', '.join(map(str, df.columns))}")
            found[canon] = col
            continue
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is not None:
            found[canon] = hit
    for need in ("flstkennz", "name"):
        if need not in found:
            raise InputError(f"Spalte für {need!r} nicht gefunden", file=path, key=f"owners.fields.{need}",
                             fix=f"Spalte umbenennen oder 'owners: {{fields: {{{need}: <Spaltenname>}}}}' setzen")
    if "anschrift" not in found and "strasse" not in found:
        raise InputError("keine Anschriftspalte (anschrift oder strasse/plz_ort) gefunden", file=path,
                         key="owners.fields.anschrift", fix="Spalte 'anschrift' ergänzen oder zuordnen")
    return found


def read_table(path: Path, config) -> OwnerData:
    """Read a Liegenschaftsbuch extract: one row per parcel and owner (Flurstückskennzeichen, name, address, share).

    Rows with the same name and address are one addressee (one letter), however many parcels they hold.
    """
    df = _read_frame(path, config).fillna("")
    cols = _columns(df, config, path)
    kennz = normalise_kennz(df[cols["flstkennz"]])
    bad = ~kennz.str.match(_KENNZ)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError(f"Zeile {row}: kein 20-stelliges Flurstückskennzeichen in Spalte {cols['flstkennz']!r}",
                         file=path, fix="Kennzeichen wie 07256600100005______ (Land, Gemarkung, Flur, Zähler, Nenner) eintragen")
    name = df[cols["name"]].str.strip()
    if (name == "").any():
        row = int(np.flatnonzero((name == "").to_numpy())[0]) + 2
        raise InputError(f"Zeile {row}: Name fehlt", file=path, fix="Namen eintragen oder die Zeile löschen")
    if "anschrift" in cols:
        parts = df[cols["anschrift"]].str.split(",", n=1, expand=True).reindex(columns=[0, 1]).fillna("")
        strasse, plz_ort = parts[0].str.strip(), parts[1].str.strip()
    else:
        strasse = df[cols["strasse"]].str.strip()
        plz_ort = df[cols["plz_ort"]].str.strip() if "plz_ort" in cols else pd.Series("", index=df.index)
    ids = [stable_id("T", n, s, o) for n, s, o in zip(name, strasse, plz_ort)]
    share = df[cols["anteil"]].str.strip() if "anteil" in cols else pd.Series("", index=df.index)
    share = share.where(~share.isin(["1", "1/1"]), "")
    role = df[cols["rolle"]].str.strip() if "rolle" in cols else pd.Series("", index=df.index)
    role = role.where(role != "", np.where(share != "", "Miteigentum", "Eigentum"))
    art = np.select([name.str.lower().str.startswith("erbengemeinschaft"), role.str.startswith("Wohnungseigentum")],
                    ["Erbengemeinschaft", "Wohnungseigentümergemeinschaft"], "Person")
    addressees = pd.DataFrame({"adressat_id": ids, "art": art, "name": name, "zusatz": "", "strasse": strasse,
                               "plz_ort": plz_ort, "land": ""}).drop_duplicates("adressat_id").set_index("adressat_id")
    holdings = pd.DataFrame({"adressat_id": ids, "flstkennz": kennz, "rolle": role, "anteil": share})
    holdings = holdings.drop_duplicates(["adressat_id", "flstkennz", "rolle"]).reset_index(drop=True)
    return OwnerData(addressees=addressees, holdings=holdings, source=str(path))


def _read_postnas(path: Path, config) -> OwnerData:
    return read_postnas(path)


#: schema → reader ``(path, OwnersConfig) -> OwnerData``.
READERS: dict[str, Callable[[Path, object], OwnerData]] = {"postnas": _read_postnas, "tabelle": read_table}
