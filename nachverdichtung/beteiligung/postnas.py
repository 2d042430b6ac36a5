"""Owners from the ALKIS owner tables of a PostNAS / NAS-import schema (GeoPackage, later PostGIS).

The ALKIS model (GeoInfoDok 6.0; resolution as in norBIT ALKIS-Import ``3_eignerart.sql``):

- ``ax_flurstueck.istgebucht`` → the parcel's ``ax_buchungsstelle`` (usually Grundstück, 1100);
- a right on a booking points at it with ``ax_buchungsstelle.an`` (Erbbaurecht 2101 an Grundstück,
  Wohnungs-/Teileigentum 1301 an aufgeteiltes Grundstück 1101); shares (``zaehler``/``nenner``)
  multiply along the chain; bookings on a fictitious sheet (Blattart 5000) have no owners themselves;
- ``ax_buchungsstelle.istbestandteilvon`` → ``ax_buchungsblatt``; the sheet's ``ax_namensnummer``
  rows (``istbestandteilvon``) name the owners: ``benennt`` → ``ax_person``, ``hat`` → ``ax_anschrift``;
- a Rechtsgemeinschaft (Erbengemeinschaft …) has its own ``ax_namensnummer`` with
  ``artderrechtsgemeinschaft``; its members point at it with ``bestehtausrechtsverhaeltnissenzu``.
  A Gesamthandsgemeinschaft decides jointly, so it is ONE addressee listing its members;
- co-owners by fractions (Miteigentum, ``ax_namensnummer.zaehler/nenner``) are separate addressees;
- a WEG (parts ``an`` a divided booking) is one addressee: its administrator (``wirdverwaltetvon``
  → ``ax_verwaltung.haengtan`` → ``ax_person``) where named, else the owners jointly (§ 9b WEG).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from ..errors import InputError
from ..io.postgis import connect, list_tables, read_table, redact
from ..io.vector import READ_ERRORS
from .codes import AUFGETEILT, FIKTIVES_BLATT, RECHTSGEMEINSCHAFT, role_of
from .ownerdata import OwnerData, as_list, share_text

__all__ = ["TABLES", "read_postnas", "read_postnas_database", "resolve_postnas"]

#: Table → columns the resolution needs (``ax_verwaltung`` is optional).
TABLES: dict[str, tuple[str, ...]] = {
    "ax_flurstueck": ("flurstueckskennzeichen", "istgebucht"),
    "ax_buchungsstelle": ("gml_id", "buchungsart", "istbestandteilvon"),
    "ax_buchungsblatt": ("gml_id", "blattart"),
    "ax_namensnummer": ("gml_id", "istbestandteilvon"),
    "ax_person": ("gml_id", "nachnameoderfirma"),
    "ax_anschrift": ("gml_id", "ort_post"),
}
MAX_DEPTH = 6


def read_postnas(path: Path) -> OwnerData:
    """Read the owner tables from a GeoPackage (attribute tables; the parcels may be in another file)."""
    try:
        names = {str(n).lower(): str(n) for n, _g in pyogrio.list_layers(path)}
    except READ_ERRORS as exc:
        raise InputError(f"nicht lesbar ({type(exc).__name__})", file=path,
                         fix="eine GeoPackage-Datei mit den ALKIS-Eigentümertabellen angeben") from None
    tables = {table: pd.DataFrame(pyogrio.read_dataframe(path, layer=names[table], read_geometry=False))
              for table in _needed(names, path)}
    return resolve_postnas(tables, source=str(path))


def _needed(names: dict[str, str], source) -> list[str]:
    """The owner tables present (``ax_verwaltung`` optional); a missing one is an :class:`InputError`."""
    for table in TABLES:
        if table not in names:
            hint = (" (Verknüpfung Flurstück → Buchungsstelle)" if table == "ax_flurstueck" else "")
            raise InputError(f"Tabelle {table!r} fehlt{hint}", file=source,
                             fix="die Tabellen ax_flurstueck, ax_buchungsstelle, ax_buchungsblatt, ax_namensnummer, "
                                 "ax_person, ax_anschrift aus dem NAS-Import mit exportieren")
    return [t for t in (*TABLES, "ax_verwaltung") if t in names]


def read_postnas_database(url: str) -> OwnerData:
    """Read the owner tables from the PostGIS schema of a NAS import (the same database as the parcels).

    Only the columns the resolution needs of ``ax_flurstueck`` are read, never its geometry.
    """
    conn, schema = connect(url, key="owners.path")
    try:
        names = {t.lower(): t for t in list_tables(conn, schema)}
        tables = {}
        for table in _needed(names, redact(url)):
            frame = read_table(conn, schema, names[table],
                               columns=TABLES[table] if table == "ax_flurstueck" else None)
            tables[table] = pd.DataFrame(frame.drop(columns=frame.geometry.name)
                                         if hasattr(frame, "geometry") else frame)
    finally:
        conn.close()
    return resolve_postnas(tables, source=f"{redact(url)}")


def _current(df: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    df = df.rename(columns=str.lower)
    missing = [c for c in TABLES.get(table, ()) if c not in df.columns]
    if missing:
        raise InputError(f"Tabelle {table!r}: Spalte {missing[0]!r} fehlt", file=source,
                         fix="die Tabelle vollständig (PostNAS-Schema) exportieren")
    if "endet" in df.columns:
        df = df[df["endet"].isna() | (df["endet"].astype(str).str.strip() == "")]
    for c in df.columns:
        if df[c].dtype == object and c not in ("an", "hat"):
            df[c] = df[c].where(df[c].isna(), df[c].astype(str).str.strip())
    return df


def _num(s: pd.Series) -> np.ndarray:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, 1.0)


def _bookings(f: pd.DataFrame, bs: pd.DataFrame) -> pd.DataFrame:
    """Every booking reached from each parcel: its own and the rights on it (``an``), with shares."""
    bs = bs.assign(z=_num(bs.get("zaehler", pd.Series(1, index=bs.index))),
                   n=_num(bs.get("nenner", pd.Series(1, index=bs.index))),
                   art=pd.to_numeric(bs["buchungsart"], errors="coerce").fillna(0).astype(int),
                   verw=bs.get("wirdverwaltetvon", pd.Series(None, index=bs.index)))
    cols = ["gml_id", "art", "z", "n", "istbestandteilvon", "verw"]
    level = f[["flurstueckskennzeichen", "istgebucht"]].merge(bs[cols], left_on="istgebucht", right_on="gml_id")
    level = level.drop(columns="istgebucht").rename(columns={"flurstueckskennzeichen": "flstkennz", "gml_id": "bs"})
    level["weg"] = np.where(level["art"].isin(AUFGETEILT), level["bs"], None)
    rights = bs.assign(target=as_list(bs["an"]) if "an" in bs.columns else [[]] * len(bs))
    rights = rights[["gml_id", "target", *cols[1:]]].explode("target").dropna(subset=["target"])
    levels = [level]
    for _ in range(MAX_DEPTH):
        nxt = level[["flstkennz", "bs", "z", "n", "weg", "verw"]].merge(
            rights, left_on="bs", right_on="target", suffixes=("_a", ""))
        if not len(nxt):
            break
        nxt["z"] = nxt["z_a"] * nxt["z"]
        nxt["n"] = nxt["n_a"] * nxt["n"]
        nxt["weg"] = nxt["weg"].where(nxt["weg"].notna(), np.where(nxt["art"].isin(AUFGETEILT), nxt["gml_id"], None))
        nxt["verw"] = nxt["verw"].where(nxt["verw"].notna(), nxt["verw_a"])
        level = nxt[["flstkennz", "gml_id", "art", "z", "n", "istbestandteilvon", "verw", "weg"]].rename(
            columns={"gml_id": "bs"})
        levels.append(level)
    return pd.concat(levels, ignore_index=True)


def _persons(p: pd.DataFrame, a: pd.DataFrame) -> pd.DataFrame:
    """Person id → name and first postal address."""
    def text(col):
        return p[col].fillna("").astype(str) if col in p.columns else pd.Series("", index=p.index)

    name = (text("akademischergrad") + " " + text("vorname") + " " + text("namensbestandteil") + " "
            + text("nachnameoderfirma")).str.split().str.join(" ")
    first = as_list(p["hat"]).str[0] if "hat" in p.columns else pd.Series(None, index=p.index)
    out = pd.DataFrame({"person": p["gml_id"].to_numpy(), "name": name.to_numpy(), "anschrift": first.to_numpy()})
    a = a.fillna("")

    def col(name):
        return a[name].astype(str) if name in a.columns else pd.Series("", index=a.index)

    addr = pd.DataFrame({
        "anschrift": a["gml_id"],
        "strasse": (col("strasse") + " " + col("hausnummer")).str.strip(),
        "plz_ort": (col("postleitzahlpostzustellung") + " " + col("ort_post")).str.strip(),
        "land": col("bestimmungsland")})
    return out.merge(addr, on="anschrift", how="left").drop(columns="anschrift").drop_duplicates("person")


def resolve_postnas(tables: dict[str, pd.DataFrame], *, source: str) -> OwnerData:
    """Resolve parcels to addressees from the PostNAS tables (a dict of table name → DataFrame).

    Examples
    --------
    >>> data = resolve_postnas(tables, source="eigentuemer.gpkg")   # doctest: +SKIP
    >>> data.holdings.groupby("adressat_id").size()                  # doctest: +SKIP
    """
    t = {k: _current(v, k, source) for k, v in tables.items()}
    book = _bookings(t["ax_flurstueck"], t["ax_buchungsstelle"])
    bb = t["ax_buchungsblatt"][["gml_id", "blattart"]].rename(columns={"gml_id": "istbestandteilvon"})
    book = book.merge(bb, on="istbestandteilvon", how="left")
    book = book[pd.to_numeric(book["blattart"], errors="coerce") != FIKTIVES_BLATT]
    persons = _persons(t["ax_person"], t["ax_anschrift"])
    nn = _names(t["ax_namensnummer"], persons)
    rows = book.merge(nn, left_on="istbestandteilvon", right_on="blatt")
    rows["z"] = rows["z"] * rows["nz"]
    rows["n"] = rows["n"] * rows["nn_n"]
    rows["rolle"] = rows["art"].map(role_of)
    solo = rows["weg"].isna()
    holdings = rows.loc[solo, ["adressat_id", "flstkennz", "rolle", "z", "n"]]
    addressees = nn.drop_duplicates("adressat_id").set_index("adressat_id")[
        ["art_a", "name", "zusatz", "strasse", "plz_ort", "land"]].rename(columns={"art_a": "art"})
    weg_h, weg_a = _weg(rows[~solo], t.get("ax_verwaltung"), persons)
    holdings = pd.concat([holdings, weg_h], ignore_index=True)
    holdings["anteil"] = share_text(np.rint(holdings["z"]).astype(np.int64), np.rint(holdings["n"]).astype(np.int64))
    holdings.loc[(holdings["rolle"] == "Eigentum") & (holdings["anteil"] != ""), "rolle"] = "Miteigentum"
    holdings = (holdings.drop(columns=["z", "n"]).drop_duplicates(["adressat_id", "flstkennz", "rolle"])
                .sort_values(["flstkennz", "adressat_id"]).reset_index(drop=True))
    addressees = pd.concat([addressees, weg_a])
    addressees = addressees[addressees.index.isin(holdings["adressat_id"])]
    addressees = addressees[~addressees.index.duplicated()].fillna("")
    n_parcels = t["ax_flurstueck"]["flurstueckskennzeichen"].nunique()
    unowned = n_parcels - holdings["flstkennz"].nunique()
    problems = (f"{unowned} von {n_parcels} Flurstücken ohne Eigentümerangabe in {Path(source).name}",) if unowned else ()
    return OwnerData(addressees=addressees, holdings=holdings[["adressat_id", "flstkennz", "rolle", "anteil"]],
                     source=source, problems=problems)


def _names(nn: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """Namensnummern → addressees: persons, or one row per Rechtsgemeinschaft (members folded in)."""
    nn = nn.copy()
    get = lambda c: nn[c] if c in nn.columns else pd.Series(None, index=nn.index)  # noqa: E731
    nn["community"] = get("bestehtausrechtsverhaeltnissenzu")
    nn["rg"] = pd.to_numeric(get("artderrechtsgemeinschaft"), errors="coerce")
    nn = nn.assign(benennt=get("benennt")).merge(persons, left_on="benennt", right_on="person", how="left")
    members = nn[nn["community"].notna()]
    heads = nn[nn["community"].isna() & nn["rg"].notna()].copy()
    plain = nn[nn["community"].isna() & nn["rg"].isna() & nn["person"].notna()].copy()
    order = members.sort_values(["community", "laufendenummernachdin1421"] if "laufendenummernachdin1421" in
                                members.columns else ["community"])
    names = order.groupby("community")["name"].agg(lambda s: ", ".join(s.dropna()))
    first = order.drop_duplicates("community").set_index("community")[["strasse", "plz_ort", "land"]]
    kind = heads["rg"].map(RECHTSGEMEINSCHAFT).fillna("Rechtsgemeinschaft")
    heads["art_a"] = kind.to_numpy()
    described = heads.get("beschriebderrechtsgemeinschaft", pd.Series("", index=heads.index)).fillna("")
    surname = order.drop_duplicates("community").set_index("community")["name"].str.split().str[-1]
    heads["name"] = np.where(described != "", kind + " " + described,
                             kind + " " + heads["gml_id"].map(surname).fillna(""))
    heads["zusatz"] = "Mitglieder: " + heads["gml_id"].map(names).fillna("")
    heads[["strasse", "plz_ort", "land"]] = first.reindex(heads["gml_id"]).to_numpy()
    heads["adressat_id"] = heads["gml_id"]
    plain["art_a"] = "Person"
    plain["zusatz"] = ""
    plain["adressat_id"] = plain["person"]
    out = pd.concat([heads, plain], ignore_index=True)
    out["nz"] = _num(out.get("zaehler", pd.Series(1, index=out.index)))
    out["nn_n"] = _num(out.get("nenner", pd.Series(1, index=out.index)))
    return out.rename(columns={"istbestandteilvon": "blatt"})[
        ["blatt", "adressat_id", "art_a", "name", "zusatz", "strasse", "plz_ort", "land", "nz", "nn_n"]]


def _weg(rows: pd.DataFrame, verwaltung: pd.DataFrame | None, persons: pd.DataFrame):
    """One addressee per WEG: the administrator where named, else the unit owners jointly."""
    cols = ["adressat_id", "flstkennz", "rolle", "z", "n"]
    if not len(rows):
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["art", "name", "zusatz", "strasse", "plz_ort", "land"])
    admin = pd.Series(dtype=object)
    if verwaltung is not None and len(verwaltung):
        admin = verwaltung.set_index("gml_id")["haengtan"]
    by_weg = rows.groupby("weg")
    verw = by_weg["verw"].agg(lambda s: next((v for v in s if isinstance(v, str) and v), None))
    pers = persons.set_index("person")
    rows_a = []
    for weg, v in verw.items():
        owners = by_weg.get_group(weg).drop_duplicates("adressat_id")
        admin_person = admin.get(v) if v is not None else None
        if admin_person is not None and admin_person in pers.index:
            a = pers.loc[admin_person]
            rows_a.append({"adressat_id": f"WEG:{weg}", "art": "WEG-Verwaltung", "name": a["name"],
                           "zusatz": "als Verwaltung der Wohnungseigentümergemeinschaft", "strasse": a["strasse"],
                           "plz_ort": a["plz_ort"], "land": a["land"]})
        else:
            first = owners.iloc[0]
            rows_a.append({"adressat_id": f"WEG:{weg}", "art": "Wohnungseigentümergemeinschaft",
                           "name": "Wohnungseigentümergemeinschaft",
                           "zusatz": "vertreten durch die Wohnungseigentümer (§ 9b Abs. 1 WEG): "
                                     + ", ".join(owners["name"].dropna()),
                           "strasse": first["strasse"], "plz_ort": first["plz_ort"], "land": first["land"]})
    addressees = pd.DataFrame(rows_a).set_index("adressat_id")
    parcels = rows.drop_duplicates(["weg", "flstkennz"])
    holdings = pd.DataFrame({"adressat_id": ("WEG:" + parcels["weg"].astype(str)).to_numpy(),
                             "flstkennz": parcels["flstkennz"].to_numpy(), "rolle": "Wohnungseigentum (Gemeinschaft)",
                             "z": 1.0, "n": 1.0})
    return holdings, addressees
