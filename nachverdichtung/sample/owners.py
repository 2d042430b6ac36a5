"""Synthetic owner tables for the sample district: PostNAS schema (GeoPackage) and a Liegenschaftsbuch CSV.

Every name is INVENTED (first names and surnames combined at random; addresses of absent owners in
invented towns). The plan covers the parcels of the first tile and includes: owners of several
parcels (one sheet with several bookings, one person on several sheets), Miteigentum by halves,
Erbengemeinschaften, an Erbbaurecht on a foundation's land and two WEGs (one with an administrator).

:func:`owner_plan` is the ground truth the tests check the readers against: it is built without
the readers, from the same random draws that write the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

__all__ = ["OwnerPlan", "owner_plan", "write_owner_tables", "POSTNAS_FILE", "TABLE_FILE"]

POSTNAS_FILE = "eigentuemer_postnas.gpkg"
TABLE_FILE = "eigentuemer_liegenschaftsbuch.csv"
HOME = "67657 Kaiserslautern"
FIRST = ("Anna", "Bernd", "Clara", "Dieter", "Elke", "Frank", "Gisela", "Heinz", "Ingrid", "Jürgen", "Karin",
         "Lothar", "Monika", "Norbert", "Olga", "Peter", "Renate", "Stefan", "Tanja", "Uwe", "Vera", "Wolfgang",
         "Yvonne", "Achim", "Birgit", "Carsten", "Doris", "Egon", "Frieda", "Gerd")
LAST = ("Albrecht", "Bauer", "Becker", "Brandt", "Dietrich", "Engel", "Fischer", "Franke", "Gerber", "Hahn",
        "Hartmann", "Jäger", "Kaiser", "Keller", "Koch", "König", "Krämer", "Lehmann", "Lorenz", "Maurer",
        "Meier", "Möller", "Neumann", "Peters", "Pohl", "Roth", "Sauer", "Schäfer", "Scholz", "Schuster",
        "Seidel", "Sommer", "Vogel", "Walter", "Weber", "Werner", "Winkler", "Wolf", "Zimmermann", "Ziegler")
TOWNS = ("66849 Musterhausen", "67999 Beispielstadt", "55999 Neudorf am See", "68999 Erfundenheim")
TOWN_STREETS = ("Ahornweg", "Birkenallee", "Eichendorffring", "Fliederweg", "Holunderpfad", "Kastanienplatz")


@dataclass
class OwnerPlan:
    """The invented ownership: persons, sheets and, per parcel, the expected addressees.

    ``expected`` maps flstkennz → set of (addressee key, role, share text); addressee keys are the
    person id, the community's Namensnummer id or ``WEG:<booking id>``.
    """

    persons: list[dict] = field(default_factory=list)
    sheets: list[dict] = field(default_factory=list)
    bookings: list[dict] = field(default_factory=list)
    names: list[dict] = field(default_factory=list)
    admins: list[dict] = field(default_factory=list)
    expected: dict[str, set] = field(default_factory=dict)
    table_rows: list[dict] = field(default_factory=list)

    def label(self, key: str) -> str:
        """Display name of an addressee key (person name, community or WEG label)."""
        return self._labels[key]


def _gml(prefix: str, i: int) -> str:
    return f"DERP{prefix}{i:010d}"[:16]


class _Builder:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.plan = OwnerPlan()
        self.plan._labels = {}
        self.n = {"P": 0, "A": 0, "B": 0, "S": 0, "N": 0, "V": 0}

    def next(self, kind: str) -> str:
        self.n[kind] += 1
        return _gml(kind, self.n[kind])

    def person(self, lage: str | None, *, firm: str | None = None) -> dict:
        rng = self.rng
        if firm:
            vor, nach, anrede = "", firm, 3000
        else:
            vor, nach = str(rng.choice(FIRST)), str(rng.choice(LAST))
            anrede = 1000 if FIRST.index(vor) % 2 == 0 else 2000
        if lage and rng.random() < 0.7:
            strasse, hnr = lage.rsplit(" ", 1) if " " in lage else (lage, "")
            plz, ort = HOME.split(" ", 1)
        else:
            strasse, hnr = str(rng.choice(TOWN_STREETS)), str(int(rng.integers(1, 80)))
            plz, ort = str(rng.choice(TOWNS)).split(" ", 1)
        a = {"gml_id": self.next("A"), "strasse": strasse, "hausnummer": hnr, "postleitzahlpostzustellung": plz,
             "ort_post": ort, "bestimmungsland": ""}
        p = {"gml_id": self.next("P"), "vorname": vor or None, "nachnameoderfirma": nach, "anrede": anrede,
             "hat": [a["gml_id"]], "_anschrift": a}
        self.plan.persons.append(p)
        self.plan._labels[p["gml_id"]] = f"{vor} {nach}".strip()
        return p

    def sheet(self, blattart: int = 1000) -> str:
        s = {"gml_id": self.next("S"), "blattart": blattart, "bezirk": "2566", "land": "07",
             "buchungsblattnummermitbuchstabenerweiterung": f"{self.n['S']:06d}",
             "buchungsblattkennzeichen": f"072566{self.n['S']:07d}"}
        self.plan.sheets.append(s)
        return s["gml_id"]

    def booking(self, sheet: str, art: int, *, an=None, z=None, n=None, verw=None) -> str:
        b = {"gml_id": self.next("B"), "buchungsart": art, "laufendenummer": f"{self.n['B']:04d}",
             "istbestandteilvon": sheet, "an": an or [], "zaehler": z, "nenner": n, "wirdverwaltetvon": verw}
        self.plan.bookings.append(b)
        return b["gml_id"]

    def name(self, sheet: str, *, person=None, z=None, n=None, rg=None, community=None, lfd="1") -> str:
        nn = {"gml_id": self.next("N"), "istbestandteilvon": sheet, "benennt": person, "zaehler": z, "nenner": n,
              "artderrechtsgemeinschaft": rg, "bestehtausrechtsverhaeltnissenzu": community,
              "laufendenummernachdin1421": lfd}
        self.plan.names.append(nn)
        return nn["gml_id"]

    def expect(self, kennz: str, key: str, role: str, share: str = "") -> None:
        self.plan.expected.setdefault(kennz, set()).add((key, role, share))


def _single(b: _Builder, kennz: list[str], lage: list[str], pool: list[dict]) -> None:
    rng = b.rng
    owner = pool[int(rng.integers(len(pool)))] if pool and rng.random() < 0.12 else b.person(lage[0])
    pool.append(owner)
    sheet = b.sheet()
    b.name(sheet, person=owner["gml_id"])
    for k in kennz:
        b.plan.flst.append((k, b.booking(sheet, 1100)))
        b.expect(k, owner["gml_id"], "Eigentum")
    b.plan.table_rows += [_row(k, owner, "Eigentum") for k in kennz]


def _couple(b: _Builder, kennz: list[str], lage: list[str]) -> None:
    p1 = b.person(lage[0])
    p2 = b.person(None)
    p2["_anschrift"].update({k: p1["_anschrift"][k] for k in ("strasse", "hausnummer", "postleitzahlpostzustellung",
                                                             "ort_post")})
    sheet = b.sheet()
    for i, p in enumerate((p1, p2), start=1):
        b.name(sheet, person=p["gml_id"], z=1, n=2, lfd=str(i))
    for k in kennz:
        b.plan.flst.append((k, b.booking(sheet, 1100)))
        for p in (p1, p2):
            b.expect(k, p["gml_id"], "Miteigentum", "1/2")
    b.plan.table_rows += [_row(k, p, "Miteigentum", "1/2") for k in kennz for p in (p1, p2)]


def _heirs(b: _Builder, kennz: list[str], lage: list[str]) -> None:
    members = [b.person(lage[0] if i == 0 else None) for i in range(int(b.rng.integers(2, 4)))]
    sheet = b.sheet()
    head = b.name(sheet, rg=1000, lfd="1")
    for i, p in enumerate(members, start=1):
        b.name(sheet, person=p["gml_id"], community=head, lfd=f"1.{i}")
    label = f"Erbengemeinschaft {members[0]['nachnameoderfirma']}"
    b.plan._labels[head] = label
    for k in kennz:
        b.plan.flst.append((k, b.booking(sheet, 1100)))
        b.expect(k, head, "Eigentum")
    who = {"vorname": None, "nachnameoderfirma": f"{label} ({', '.join(b.plan._labels[p['gml_id']] for p in members)})",
           "_anschrift": members[0]["_anschrift"]}
    b.plan.table_rows += [_row(k, who, "Eigentum") for k in kennz]


def _erbbau(b: _Builder, kennz: str, lage: str) -> None:
    land = b.person(None, firm="Stiftung Lindenhof (erfunden)")
    holder = b.person(lage)
    s1, s2 = b.sheet(), b.sheet()
    b.name(s1, person=land["gml_id"])
    b.name(s2, person=holder["gml_id"])
    ground = b.booking(s1, 1100)
    b.booking(s2, 2101, an=[ground])
    b.plan.flst.append((kennz, ground))
    b.expect(kennz, land["gml_id"], "Eigentum")
    b.expect(kennz, holder["gml_id"], "Erbbaurecht")
    b.plan.table_rows += [_row(kennz, land, "Eigentum"), _row(kennz, holder, "Erbbaurecht")]


def _weg(b: _Builder, kennz: str, lage: str, *, admin: bool) -> None:
    verw = None
    if admin:
        manager = b.person(None, firm="Hausverwaltung Beispiel GmbH (erfunden)")
        verw = b.next("V")
        b.plan.admins.append({"gml_id": verw, "haengtan": manager["gml_id"]})
    fict = b.sheet(5000)
    whole = b.booking(fict, 1101, verw=verw)
    b.plan.flst.append((kennz, whole))
    units = [b.person(lage) for _ in range(int(b.rng.integers(3, 5)))]
    shares = np.full(len(units), 1000 // len(units))
    shares[-1] += 1000 - shares.sum()
    for p, z in zip(units, shares):
        s = b.sheet()
        b.booking(s, 1301, an=[whole], z=int(z), n=1000)
        b.name(s, person=p["gml_id"])
    key = f"WEG:{whole}"
    b.plan._labels[key] = manager["nachnameoderfirma"] if admin else "Wohnungseigentümergemeinschaft"
    b.expect(kennz, key, "Wohnungseigentum (Gemeinschaft)")
    who = manager if admin else {"vorname": None, "nachnameoderfirma": "Wohnungseigentümergemeinschaft "
                                 + ", ".join(b.plan._labels[p["gml_id"]] for p in units),
                                 "_anschrift": units[0]["_anschrift"]}
    b.plan.table_rows.append(_row(kennz, who, "Wohnungseigentum (Gemeinschaft)"))


def _row(kennz: str, p: dict, role: str, share: str = "") -> dict:
    a = p["_anschrift"]
    name = f"{p.get('vorname') or ''} {p['nachnameoderfirma']}".strip()
    return {"flurstueckskennzeichen": kennz, "name": name,
            "anschrift": f"{a['strasse']} {a['hausnummer']}".strip() + f", {a['postleitzahlpostzustellung']} {a['ort_post']}",
            "anteil": share, "rolle": role}


def owner_plan(kennz: np.ndarray, lage: np.ndarray, *, seed: int = 42) -> OwnerPlan:
    """Invent the ownership of the given parcels (deterministic for a seed).

    Parameters
    ----------
    kennz, lage
        Flurstückskennzeichen and location text (``"Bahnhofstraße 12"``) of the parcels.
    """
    b = _Builder(np.random.default_rng(seed + 17))
    b.plan.flst = []
    pool: list[dict] = []
    special = {10: ("weg", True), 40: ("weg", False), 25: ("erbbau", None), 70: ("erbbau", None)}
    i, n = 0, len(kennz)
    while i < n:
        if i in special:
            kind, flag = special[i]
            _weg(b, kennz[i], lage[i], admin=flag) if kind == "weg" else _erbbau(b, kennz[i], lage[i])
            i += 1
            continue
        run = 1
        while i + run < n and i + run not in special and run < 3 and b.rng.random() < 0.15:
            run += 1
        ks, ls = list(kennz[i:i + run]), list(lage[i:i + run])
        r = b.rng.random()
        if r < 0.10:
            _heirs(b, ks, ls)
        elif r < 0.35:
            _couple(b, ks, ls)
        else:
            _single(b, ks, ls, pool)
        i += run
    return b.plan


def _frame(rows: list[dict], lists=("an", "hat")) -> pd.DataFrame:
    df = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    for c in lists:
        if c in df.columns:
            df[c] = df[c].map(json.dumps)
    df.insert(1, "beginnt", "2024-01-01T00:00:00Z")
    df["endet"] = None
    return df


def write_owner_tables(out: Path, kennz: np.ndarray, lage: np.ndarray, *, seed: int = 42) -> OwnerPlan:
    """Write ``eigentuemer_postnas.gpkg`` (attribute tables) and ``eigentuemer_liegenschaftsbuch.csv``."""
    plan = owner_plan(kennz, lage, seed=seed)
    path = Path(out) / POSTNAS_FILE
    if path.exists():
        path.unlink()
    flst = pd.DataFrame({"gml_id": [f"DERPF{i:011d}" for i in range(len(plan.flst))],
                         "flurstueckskennzeichen": [k for k, _ in plan.flst], "istgebucht": [b for _, b in plan.flst]})
    tables = {
        "ax_flurstueck": _frame(flst.to_dict("records")),
        "ax_buchungsstelle": _frame(plan.bookings),
        "ax_buchungsblatt": _frame(plan.sheets),
        "ax_namensnummer": _frame(plan.names),
        "ax_person": _frame(plan.persons),
        "ax_anschrift": _frame([p["_anschrift"] for p in plan.persons]),
        "ax_verwaltung": _frame(plan.admins) if plan.admins else None,
    }
    for name, df in tables.items():
        if df is not None:
            pyogrio.write_dataframe(df, path, layer=name, driver="GPKG")
    pd.DataFrame(plan.table_rows).to_csv(Path(out) / TABLE_FILE, sep=";", index=False, encoding="utf-8-sig")
    return plan
