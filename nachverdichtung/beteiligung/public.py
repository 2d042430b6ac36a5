"""§ 200 Abs. 3 BauGB public Baulandkataster export, and deletion of personal data past retention.

§ 200 Abs. 3 BauGB: the municipality may record buildable land in maps or lists (Flur and parcel
numbers, street names, parcel sizes) and publish it "soweit der Grundstückseigentümer nicht
widersprochen hat"; it must announce the intention one month before and point to the right to
object. So the export

- lists only areas that were part of a round and where no addressee answered
  "Widerspruch gegen Veröffentlichung" (and that are not zurückgestellt);
- lists only geeignet / bedingt geeignet areas with id, Gemarkung, Flur, parcel numbers, street,
  size and class — no Baulast or access details, no criterion values, no owner data;
- records the announcement date (``--bekanntmachung``) in the store and refuses to run until one
  month has passed.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pyogrio

from ..criteria.base import BEDINGT, GEEIGNET
from ..errors import InputError
from ..export.report import parcel_label
from .responses import RESPONSE_FILE, write_response_table
from .rounds import LETTER_DIR, SERIENBRIEF, load_areas
from .state import area_states
from .store import addressees, audit, delete_before, get_meta, holdings, internal_dir, open_store, responses, set_meta

__all__ = ["PUBLIC_DIR", "PUBLIC_COLUMNS", "public_areas", "public_export", "delete_personal_data", "parse_date"]

PUBLIC_DIR = "baulandkataster"
#: The only columns a public export carries (§ 200 Abs. 3 BauGB: Flur, Flurstück, Straße, Größe).
PUBLIC_COLUMNS = ("flaeche_id", "gemarkung", "flur", "flurstuecke", "strasse", "flaeche_m2", "klasse")


def parse_date(text: str, *, key: str) -> date:
    """An ISO date (``JJJJ-MM-TT``) or German date (``TT.MM.JJJJ``); one clear line otherwise."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(str(text).strip(), fmt).date()
        except ValueError:
            continue
    raise InputError(f"Datum {text!r} nicht lesbar", key=key, fix="als JJJJ-MM-TT angeben, z. B. 2026-03-01")


def public_areas(areas: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """The areas a Baulandkataster may list, with the public columns only."""
    states = area_states(answers)
    ok = states.index[~states["widerspruch"] & (states["beteiligung"] != "zurückgestellt")]
    keep = areas[areas.index.isin(ok) & areas["klasse"].isin([GEEIGNET, BEDINGT])].copy()
    labels = keep["flurstuecke"].fillna("").map(
        lambda s: ", ".join(parcel_label(k)["flurstueck"] for k in s.split(",") if k.strip()))
    keep["flurstuecke"] = labels
    keep = keep.reset_index()
    return keep[[*PUBLIC_COLUMNS, keep.geometry.name]]


def _notice(con, notice: str | None) -> date:
    stored = get_meta(con, "bekanntmachung")
    if notice is not None:
        d = parse_date(notice, key="--bekanntmachung")
        if stored != d.isoformat():
            set_meta(con, "bekanntmachung", d.isoformat())
            audit(con, "bekanntmachung", f"Bekanntmachung vom {d.isoformat()} gespeichert (vorher {stored or '-'})")
            con.commit()
        return d
    if stored is None:
        raise InputError("Bekanntmachung der Veröffentlichungsabsicht nicht erfasst", key="--bekanntmachung",
                         fix="Datum der öffentlichen Bekanntmachung mit --bekanntmachung JJJJ-MM-TT angeben "
                             "(§ 200 Abs. 3 BauGB: einen Monat vorher)")
    return date.fromisoformat(stored)


def public_export(outdir: str | Path, *, notice: str | None = None, today: date | None = None) -> list[Path]:
    """Write ``OUTDIR/baulandkataster/baulandkataster.gpkg`` and ``.csv`` once the notice month has passed."""
    outdir = Path(outdir)
    areas, _parcels = load_areas(outdir)
    con = open_store(outdir)
    try:
        announced = _notice(con, notice)
        earliest = (pd.Timestamp(announced) + pd.DateOffset(months=1)).date()
        today = today or datetime.now(timezone.utc).date()
        if today < earliest:
            raise InputError(f"Bekanntmachung vom {announced:%d.%m.%Y}: die Monatsfrist läuft bis {earliest:%d.%m.%Y}",
                             key="--bekanntmachung", fix=f"den Export ab dem {earliest:%d.%m.%Y} ausführen "
                                                         "(§ 200 Abs. 3 Satz 3 BauGB)")
        table = public_areas(areas, responses(con))
        audit(con, "export", f"Baulandkataster: {len(table)} Flächen (Bekanntmachung {announced.isoformat()})")
        con.commit()
    finally:
        con.close()
    target = outdir / PUBLIC_DIR
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".baulandkataster-", dir=target))
    gpkg, csv = staging / "baulandkataster.gpkg", staging / "baulandkataster.csv"
    pyogrio.write_dataframe(table, gpkg, layer="baulandkataster", driver="GPKG")
    pd.DataFrame(table.drop(columns=table.geometry.name)).to_csv(csv, sep=";", decimal=",", index=False,
                                                                 encoding="utf-8-sig")
    out = []
    for f in (gpkg, csv):
        os.replace(f, target / f.name)
        out.append(target / f.name)
    staging.rmdir()
    return out


def delete_personal_data(outdir: str | Path, before: str) -> dict:
    """Delete owner data of rounds started before ``before``: store rows, letters; tables rewritten without them."""
    outdir = Path(outdir)
    cut = parse_date(before, key="--vor")
    con = open_store(outdir)
    try:
        rounds = [r for (r,) in con.execute("SELECT runde FROM runden WHERE gestartet < ? AND geloescht IS NULL",
                                            (cut.isoformat(),))]
        info = delete_before(con, cut.isoformat())
        d = internal_dir(outdir)
        files = 0
        for r in rounds:
            folder = d / LETTER_DIR / f"runde_{r:02d}"
            for f in sorted(folder.glob("*")) if folder.exists() else []:
                f.unlink()
                files += 1
            if folder.exists():
                folder.rmdir()
        left = addressees(con)
        serien = d / SERIENBRIEF
        if serien.exists():
            serien.unlink()
            files += 1
        if len(left):
            from .letters import write_serienbrief

            write_serienbrief(serien, left, holdings(con))
        write_response_table(d / RESPONSE_FILE, responses(con), left, holdings(con))
    finally:
        con.close()
    return {**info, "dateien": files}
