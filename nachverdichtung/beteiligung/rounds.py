"""A participation round: start it (store, letters, mail-merge table, response table) and read answers back.

``start`` reads the areas from the output folder of ``assess`` (``nachverdichtung.gpkg``) and the
owner source named in its effective configuration (``owners:``), so the round uses exactly the
areas and ids the office sees on the map.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import yaml

from ..config import OwnersConfig
from ..criteria.base import KLASSEN
from ..errors import ConfigError, InputError
from ..params import build
from .letters import write_letter, write_serienbrief
from .owners import read_owners
from .responses import RESPONSE_FILE, read_responses, write_response_table
from .store import addressees, audit, holdings, internal_dir, new_round, open_store, responses

log = logging.getLogger(__name__)

__all__ = ["start_round", "read_answers", "load_areas", "owners_config", "select_areas", "LETTER_DIR", "SERIENBRIEF"]

LETTER_DIR = "briefe"
SERIENBRIEF = "serienbrief.csv"
GPKG = "nachverdichtung.gpkg"
CONFIG = "konfiguration_effektiv.yml"


def load_areas(outdir: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Areas (index ``flaeche_id``) and parcels (index ``flstkennz``) of a finished ``assess`` run."""
    path = Path(outdir) / GPKG
    if not path.is_file():
        raise InputError("Ergebnis der Bewertung fehlt", file=path,
                         fix="zuerst 'nachverdichtung assess config.yml --out OUTDIR' (mit Format gpkg) ausführen")
    areas = pyogrio.read_dataframe(path, layer="bewertung").set_index("flaeche_id")
    parcels = pyogrio.read_dataframe(path, layer="flurstuecke", columns=["flstkennz"]).drop_duplicates("flstkennz")
    return areas, parcels.set_index("flstkennz")


def owners_config(outdir: Path, path: Path | None = None) -> OwnersConfig:
    """The ``owners:`` section of the run's effective configuration (``path`` overrides the file)."""
    cfg_file = Path(outdir) / CONFIG
    data = {}
    if cfg_file.is_file():
        data = (yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}).get("owners") or {}
    if path is not None:
        data = {**data, "path": str(Path(path).resolve())}
    if not data.get("path"):
        raise ConfigError("keine Eigentümerdaten angegeben", file=cfg_file, key="owners.path",
                          fix="'owners: {path: eigentuemer.gpkg}' in config.yml eintragen und neu bewerten, "
                              "oder --eigentuemer DATEI angeben")
    return build(OwnersConfig, data, key="owners", file=cfg_file, base_dir=Path(outdir))


def select_areas(areas: gpd.GeoDataFrame, selection: str) -> gpd.GeoDataFrame:
    """Areas chosen by ``alle``, a class (``geeignet``, ``bedingt geeignet`` …) or ids, comma-separated."""
    tokens = [t.strip() for t in str(selection).split(",") if t.strip()]
    keep = pd.Series(False, index=areas.index)
    for t in tokens:
        if t.lower() == "alle":
            keep[:] = True
        elif t in KLASSEN:
            keep |= areas["klasse"] == t
        elif t in areas.index:
            keep[t] = True
        else:
            raise InputError(f"unbekannte Fläche oder Klasse {t!r}", key="--areas",
                             fix=f"'alle', eine Klasse ({', '.join(KLASSEN)}) oder Flächennummern wie "
                                 f"{areas.index[0] if len(areas) else '2566-1-8-a'} angeben")
    return areas[keep]


def _area_parcels(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    s = areas["flurstuecke"].fillna("").str.split(",").explode().str.strip()
    return pd.DataFrame({"flaeche_id": s.index, "flstkennz": s.to_numpy()}).query("flstkennz != ''")


def start_round(outdir: str | Path, selection: str, *, owners_path: Path | None = None,
                progress=None) -> dict:
    """Start a round for the chosen areas; returns counts and paths (no names).

    Writes into ``OUTDIR/beteiligung/`` (mode 0700): the store, ``briefe/<Zeichen>.pdf`` (one per
    addressee), ``serienbrief.csv`` and ``rueckmeldungen.xlsx``.
    """
    say = progress or (lambda m: None)
    outdir = Path(outdir)
    areas, parcels = load_areas(outdir)
    chosen = select_areas(areas, selection)
    if not len(chosen):
        raise InputError(f"die Auswahl {selection!r} enthält keine Fläche", key="--areas",
                         fix="eine andere Klasse oder 'alle' wählen")
    office = owners_config(outdir, owners_path)
    say("Eigentümerdaten lesen")
    owners = read_owners(office)
    links = _area_parcels(chosen).merge(owners.holdings, on="flstkennz")
    missing = sorted(set(_area_parcels(chosen)["flstkennz"]) - set(links["flstkennz"]))
    who = owners.addressees.loc[owners.addressees.index.isin(links["adressat_id"])]
    con = open_store(outdir, create=True)
    try:
        runde, who = new_round(con, selection, owners.source, who, links, chosen)
        if missing:
            audit(con, "hinweis", f"Runde {runde}: {len(missing)} Flurstücke ohne Eigentümerangabe")
            con.commit()
        d = internal_dir(outdir, create=True)
        letters = d / LETTER_DIR / f"runde_{runde:02d}"
        letters.mkdir(parents=True, exist_ok=True)
        rows = links.assign(referenz=links["adressat_id"].map(who["referenz"]))
        today = datetime.now(timezone.utc).date()
        say(f"{len(who)} Anschreiben schreiben")
        by_ref = dict(tuple(rows.groupby("referenz")))
        for aid, person in who.iterrows():
            ref = person["referenz"]
            write_letter(letters / f"{ref}.pdf", person, ref, by_ref[ref], chosen, parcels, office, today=today)
        write_serienbrief(d / SERIENBRIEF, who.set_index("referenz"), rows)
        write_response_table(d / RESPONSE_FILE, responses(con), addressees(con), holdings(con))
    finally:
        con.close()
    log.info("Beteiligungsrunde %d: %d Anschreiben, %d Flächen", runde, len(who), len(chosen))
    return {"runde": runde, "anschreiben": len(who), "flaechen": len(chosen), "briefe": letters,
            "ohne_eigentuemer": len(missing), "hinweise": list(owners.problems)}


def read_answers(outdir: str | Path, file: str | Path) -> dict:
    """Check a filled response table and store it; every change goes into the audit log (codes, no names)."""
    outdir = Path(outdir)
    con = open_store(outdir)
    try:
        known = responses(con)
        new = read_responses(Path(file), known)
        merged = known.merge(new, on=["referenz", "flaeche_id"], suffixes=("", "_neu"))
        changed = merged[(merged["status"] != merged["status_neu"]) | (merged["datum"].fillna("") != merged["datum_neu"])
                         | (merged["notiz"].fillna("") != merged["notiz_neu"])]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for r in changed.itertuples(index=False):
            con.execute("UPDATE rueckmeldungen SET status = ?, datum = ?, notiz = ?, geaendert = ? "
                        "WHERE referenz = ? AND flaeche_id = ?",
                        (r.status_neu, r.datum_neu, r.notiz_neu, now, r.referenz, r.flaeche_id))
            what = f"{r.status} → {r.status_neu}" if r.status != r.status_neu else "Datum/Notiz geändert"
            audit(con, "einlesen", f"{Path(file).name}: {r.referenz} / {r.flaeche_id}: {what}")
        con.commit()
        write_response_table(internal_dir(outdir) / RESPONSE_FILE, responses(con), addressees(con), holdings(con))
    finally:
        con.close()
    return {"zeilen": len(new), "geaendert": len(changed)}

