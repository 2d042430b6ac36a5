"""Which place and which data date a delivery describes: study-area name and "Stand" from the data.

* Name: the Gemeinde and Gemarkung names of the parcels — full schema ``ax_gemeinde`` /
  ``ax_gemarkung`` (attribute tables in a GeoPackage, ``.dbf`` files in a Shapefile folder),
  "ALKIS vereinfacht" ``VerwaltungsEinheit`` / ``KatasterBezirk`` — limited to the Gemarkungen the
  parcels lie in.
* Stand: the most recent ``datumderletztenueberpruefung`` / ``beginnt`` (ALKIS life-cycle start) of
  the parcels; failing that, the last change recorded in the GeoPackage (``gpkg_contents``); failing
  that, the file date. The source is always stated with the date.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyogrio

from .contract import Read
from .names import canonical_name, find_field
from .vector import list_layers

log = logging.getLogger(__name__)

__all__ = ["Place", "read_place", "place_name"]

_PARCEL_LAYERS = ("ax_flurstueck", "flurstueck", "flurstuecke")
_DATE_FIELDS = ("datumderletztenueberpruefung", "datumderle", "beginnt", "aktualit")


@dataclass(frozen=True)
class Place:
    """Study-area name and data date of a delivery (empty strings where the data hold none)."""

    name: str = ""
    name_quelle: str = ""
    stand: str = ""
    stand_quelle: str = ""


def _table(path: Path, names: tuple[str, ...]) -> pd.DataFrame | None:
    """An attribute table of the delivery (GeoPackage layer, Shapefile or bare .dbf), or None."""
    keys = {canonical_name(n) for n in names}
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in (".dbf", ".shp") and canonical_name(p.stem) in keys]
        if not files:
            return None
        f = next((p for p in files if p.suffix.lower() == ".shp"), files[0])
        return pd.DataFrame(pyogrio.read_dataframe(f, read_geometry=False))
    layer = next((n for n in list_layers(path) if canonical_name(n) in keys), None)
    return None if layer is None else pd.DataFrame(pyogrio.read_dataframe(path, layer=layer, read_geometry=False))


def place_name(gemeinden: list[str], gemarkungen: list[str], *, limit: int = 3) -> str:
    """A readable study-area name.

    Examples
    --------
    >>> place_name(["Rebenhausen"], ["Rebenhausen", "Lindenau"])
    'Rebenhausen (Gemarkungen Rebenhausen, Lindenau)'
    >>> place_name([], ["A", "B", "C", "D"])
    'Gemarkungen A, B, C u. a.'
    """
    def listing(items):
        return ", ".join(items[:limit]) + (" u. a." if len(items) > limit else "")

    gmk = (f"Gemarkung {gemarkungen[0]}" if len(gemarkungen) == 1 else f"Gemarkungen {listing(gemarkungen)}") \
        if gemarkungen else ""
    if gemeinden:
        return f"{listing(gemeinden)} ({gmk})" if gmk else listing(gemeinden)
    return gmk


def _names(path: Path, gemarkungen: set[str]) -> tuple[str, str]:
    gmk = _table(path, ("ax_gemarkung", "KatasterBezirk", "Gemarkung"))
    gem = _table(path, ("ax_gemeinde", "VerwaltungsEinheit", "Gemeinde"))
    gmk_names: list[str] = []
    if gmk is not None:
        num = find_field(gmk.columns, ["gemarkungsnummer", "gemarkungs", "gemaschl", "schluessel", "gemarkung"])
        nam = find_field(gmk.columns, ["bezeichnung", "bezeichnun", "gemarkung", "name"])
        if nam is not None:
            sel = gmk
            if num is not None and num != nam and gemarkungen:
                key = gmk[num].astype(str).str.strip().str[-4:].str.zfill(4)
                sel = gmk[key.isin(gemarkungen)]
            gmk_names = sorted(set(sel[nam].dropna().astype(str).str.strip()) - {""})
    gem_names: list[str] = []
    if gem is not None:
        nam = find_field(gem.columns, ["bezeichnung", "bezeichnun", "gemeinde", "name"])
        if nam is not None:
            gem_names = sorted(set(gem[nam].dropna().astype(str).str.strip()) - {""})
    name = place_name(gem_names, gmk_names)
    what = " und ".join(w for w, ok in (("ax_gemeinde", gem_names), ("ax_gemarkung", gmk_names)) if ok)
    return name, (f"aus den ALKIS-Daten ({what})" if name else "")


def _stand(path: Path) -> tuple[str, str]:
    parcels = _table(path, _PARCEL_LAYERS)
    if parcels is not None:
        for field in _DATE_FIELDS:
            col = find_field(parcels.columns, [field])
            if col is None:
                continue
            d = pd.to_datetime(parcels[col].astype("string").str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
            if d.notna().any():
                return d.max().date().isoformat(), f"jüngstes '{col}' der Flurstücke (ALKIS)"
    if path.suffix.lower() == ".gpkg":
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                row = con.execute("SELECT max(last_change) FROM gpkg_contents").fetchone()
            if row and row[0]:
                return str(row[0])[:10], "letzte Änderung laut GeoPackage (gpkg_contents)"
        except sqlite3.Error:
            log.info("%s: gpkg_contents nicht lesbar", path.name)
    when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).date().isoformat()
    return when, "Dateidatum (keine Datumsangabe in den Daten)"


def read_place(path: str | Path, gemarkungen=()) -> Read:
    """Name and data date of the delivery at ``path`` (GeoPackage or Shapefile folder; DXF: file date only).

    Returns a :class:`~nachverdichtung.io.contract.Read` of the :class:`Place` (empty where the data
    hold nothing; each value says its source).

    Parameters
    ----------
    path
        ``alkis.path``.
    gemarkungen
        The 4-digit Gemarkung numbers of the parcels (limits the names to the study area).
    """
    path = Path(path)
    source = {"file": str(path)}
    if not path.exists():
        return Read(Place(), (), source)
    if path.suffix.lower() in (".dxf", ".xml", ".nas"):
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).date().isoformat()
        return Read(Place(stand=when, stand_quelle="Dateidatum (keine Datumsangabe in den Daten)"), (), source)
    name, nq = _names(path, {str(g).zfill(4) for g in gemarkungen})
    stand, sq = _stand(path)
    return Read(Place(name=name, name_quelle=nq, stand=stand, stand_quelle=sq), (), source)
