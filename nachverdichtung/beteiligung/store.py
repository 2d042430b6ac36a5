"""The internal store: owner data of the rounds, answers, notice date and the audit log (SQLite).

``OUTDIR/beteiligung/eigentuemer.sqlite`` with file mode 0600 in a folder with mode 0700. It holds
only the addressees of the areas chosen for a round (data minimisation), never reaches a public
output, and :func:`delete_before` removes the personal data past its retention while keeping the
answers per area (as pseudonymous reference codes) so counts and states survive. SQLite's
``secure_delete`` and a ``VACUUM`` make sure deleted rows do not linger in free pages.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import INTERNAL_DIR

__all__ = ["STORE_NAME", "STATUS", "internal_dir", "store_path", "open_store", "audit", "new_round",
           "responses", "addressees", "holdings", "set_meta", "get_meta", "delete_before", "private_file"]

STORE_NAME = "eigentuemer.sqlite"
#: Answer codes of the response table, in display order.
STATUS = ("angeschrieben", "Interesse", "kein Interesse", "Rückfrage", "Widerspruch gegen Veröffentlichung",
          "keine Antwort")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runden (runde INTEGER PRIMARY KEY, gestartet TEXT NOT NULL, auswahl TEXT,
    quelle TEXT, geloescht TEXT);
CREATE TABLE IF NOT EXISTS adressaten (referenz TEXT PRIMARY KEY, runde INTEGER NOT NULL, adressat_id TEXT,
    art TEXT, name TEXT, zusatz TEXT, strasse TEXT, plz_ort TEXT, land TEXT);
CREATE TABLE IF NOT EXISTS bezuege (referenz TEXT NOT NULL, flaeche_id TEXT NOT NULL, flstkennz TEXT NOT NULL,
    rolle TEXT, anteil TEXT);
CREATE TABLE IF NOT EXISTS rueckmeldungen (referenz TEXT NOT NULL, runde INTEGER NOT NULL, flaeche_id TEXT NOT NULL,
    klasse TEXT, status TEXT NOT NULL, datum TEXT, notiz TEXT, geaendert TEXT, PRIMARY KEY (referenz, flaeche_id));
CREATE TABLE IF NOT EXISTS protokoll (zeit TEXT NOT NULL, benutzer TEXT, aktion TEXT NOT NULL, details TEXT);
CREATE TABLE IF NOT EXISTS meta (schluessel TEXT PRIMARY KEY, wert TEXT);
"""


def internal_dir(outdir: str | Path, *, create: bool = False) -> Path:
    """``OUTDIR/beteiligung`` (created with mode 0700 if asked)."""
    d = Path(outdir) / INTERNAL_DIR
    if create:
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
    return d


def store_path(outdir: str | Path) -> Path:
    """Path of the store in an output folder."""
    return internal_dir(outdir) / STORE_NAME


def private_file(path: Path) -> Path:
    """Restrict a written file to its owner (mode 0600)."""
    os.chmod(path, 0o600)
    return path


def open_store(outdir: str | Path, *, create: bool = False) -> sqlite3.Connection:
    """Open (or create) the store of an output folder.

    Raises
    ------
    InputError
        If the store does not exist and ``create`` is false.
    """
    path = store_path(outdir)
    if not path.exists():
        if not create:
            raise InputError("keine Beteiligungsrunde in diesem Ausgabeordner (Eigentümer-Speicher fehlt)",
                             file=path, fix="zuerst 'nachverdichtung beteiligung start OUTDIR' ausführen")
        internal_dir(outdir, create=True)
        old = os.umask(0o077)
        try:
            sqlite3.connect(path).close()
        finally:
            os.umask(old)
    private_file(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA secure_delete = ON")
    con.executescript(_SCHEMA)
    return con


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def audit(con: sqlite3.Connection, action: str, details: str) -> None:
    """Append to the audit log: who (login name), when (UTC), what. Details name codes and ids, never names."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unbekannt"
    con.execute("INSERT INTO protokoll VALUES (?, ?, ?, ?)", (_now(), user, action, details))


def _check_letter(number: int) -> str:
    return "ABCDEFGHJKLMNPQRSTUVWXYZ"[number % 23]


def new_round(con: sqlite3.Connection, selection: str, source: str, addressees: pd.DataFrame,
              holdings: pd.DataFrame, areas: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """Store a new round: one reference code per addressee, their parcels per area, status 'angeschrieben'.

    Parameters
    ----------
    addressees
        Index ``adressat_id`` with the :data:`~.owners.ADDRESSEE_COLUMNS`.
    holdings
        ``adressat_id, flaeche_id, flstkennz, rolle, anteil`` (only parcels of the chosen areas).
    areas
        ``flaeche_id`` → ``klasse`` of the chosen areas.

    Returns
    -------
    The round number and the addressees with their ``referenz``.
    """
    runde = (con.execute("SELECT COALESCE(MAX(runde), 0) FROM runden").fetchone()[0] or 0) + 1
    con.execute("INSERT INTO runden VALUES (?, ?, ?, ?, NULL)", (runde, _now(), selection, Path(source).name))
    a = addressees.sort_values(["plz_ort", "strasse", "name"]).copy()
    seq = range(1, len(a) + 1)
    a["referenz"] = [f"NV{runde:02d}-{i:04d}{_check_letter(runde * 10000 + i)}" for i in seq]
    ref = a["referenz"]
    con.executemany("INSERT INTO adressaten VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r["referenz"], runde, idx, r["art"], r["name"], r["zusatz"], r["strasse"], r["plz_ort"],
                      r["land"]) for idx, r in a.iterrows()])
    h = holdings.assign(referenz=holdings["adressat_id"].map(ref))
    con.executemany("INSERT INTO bezuege VALUES (?, ?, ?, ?, ?)",
                    h[["referenz", "flaeche_id", "flstkennz", "rolle", "anteil"]].itertuples(index=False))
    pairs = h.drop_duplicates(["referenz", "flaeche_id"])
    klasse = areas["klasse"]
    today = datetime.now(timezone.utc).date().isoformat()
    con.executemany("INSERT OR REPLACE INTO rueckmeldungen VALUES (?, ?, ?, ?, 'angeschrieben', ?, '', ?)",
                    [(r, runde, f, klasse.get(f, ""), today, _now()) for r, f in zip(pairs["referenz"], pairs["flaeche_id"])])
    audit(con, "start", f"Runde {runde}: {len(a)} Adressaten, {pairs['flaeche_id'].nunique()} Flächen "
                        f"(Auswahl {selection}, Quelle {Path(source).name})")
    con.commit()
    return runde, a


def responses(con: sqlite3.Connection) -> pd.DataFrame:
    """All answers (one row per reference code and area)."""
    return pd.read_sql_query("SELECT * FROM rueckmeldungen ORDER BY runde, referenz, flaeche_id", con)


def addressees(con: sqlite3.Connection, runde: int | None = None) -> pd.DataFrame:
    """Stored addressees (of one round), index ``referenz``."""
    q = "SELECT * FROM adressaten" + (" WHERE runde = ?" if runde else "") + " ORDER BY referenz"
    return pd.read_sql_query(q, con, params=(runde,) if runde else None).set_index("referenz")


def holdings(con: sqlite3.Connection, runde: int | None = None) -> pd.DataFrame:
    """Stored parcels per reference code and area."""
    q = ("SELECT b.* FROM bezuege b JOIN adressaten a USING (referenz)" + (" WHERE a.runde = ?" if runde else "")
         + " ORDER BY b.referenz, b.flaeche_id, b.flstkennz")
    return pd.read_sql_query(q, con, params=(runde,) if runde else None)


def set_meta(con: sqlite3.Connection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def get_meta(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT wert FROM meta WHERE schluessel = ?", (key,)).fetchone()
    return row[0] if row else None


def delete_before(con: sqlite3.Connection, before: str) -> dict[str, int]:
    """Delete the personal data of every round started before ``before`` (ISO date); keep the answers per area.

    Returns
    -------
    Counts of deleted addressees and parcel links, and the rounds concerned.
    """
    rounds = [r for (r,) in con.execute("SELECT runde FROM runden WHERE gestartet < ? AND geloescht IS NULL",
                                        (before,))]
    out = {"runden": len(rounds), "adressaten": 0, "bezuege": 0}
    for r in rounds:
        out["bezuege"] += con.execute("DELETE FROM bezuege WHERE referenz IN (SELECT referenz FROM adressaten "
                                      "WHERE runde = ?)", (r,)).rowcount
        out["adressaten"] += con.execute("DELETE FROM adressaten WHERE runde = ?", (r,)).rowcount
        con.execute("UPDATE rueckmeldungen SET notiz = '' WHERE runde = ?", (r,))
        con.execute("UPDATE runden SET geloescht = ? WHERE runde = ?", (_now(), r))
    audit(con, "loeschen", f"vor {before}: Runden {rounds or '-'}, {out['adressaten']} Adressaten und "
                           f"{out['bezuege']} Flurstücksbezüge gelöscht, Rückmeldungen je Fläche behalten")
    con.commit()
    con.execute("VACUUM")
    return out
