"""The owner data contract (:class:`OwnerData`) and the helpers every owner reader shares.

A leaf of :mod:`nachverdichtung.beteiligung`: the readers (:mod:`.owners` for tables,
:mod:`.postnas` for PostNAS) import it, it imports none of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["OwnerData", "ADDRESSEE_COLUMNS", "HOLDING_COLUMNS", "as_list", "share_text", "stable_id"]

#: Columns of :attr:`OwnerData.addressees` (index ``adressat_id``).
ADDRESSEE_COLUMNS = ("art", "name", "zusatz", "strasse", "plz_ort", "land")
#: Columns of :attr:`OwnerData.holdings`.
HOLDING_COLUMNS = ("adressat_id", "flstkennz", "rolle", "anteil")

@dataclass(frozen=True)
class OwnerData:
    """Owners as read from one source.

    Attributes
    ----------
    addressees
        One row per addressee (index ``adressat_id``): ``art`` (Person, Erbengemeinschaft,
        WEG-Verwaltung, …), ``name``, ``zusatz`` (members of a community, representative),
        ``strasse``, ``plz_ort``, ``land``.
    holdings
        One row per addressee and parcel: ``flstkennz``, ``rolle`` (Eigentum, Miteigentum,
        Erbbaurecht, Wohnungs-/Teileigentum …) and ``anteil`` as text (``"1/2"``, empty = whole).
    source
        The file (or connection) read.
    problems
        German one-line notes without personal data (counts, ids, fields).
    """

    addressees: pd.DataFrame
    holdings: pd.DataFrame
    source: str
    problems: tuple[str, ...] = field(default_factory=tuple)


def stable_id(prefix: str, *parts) -> str:
    """A short stable id from the parts (not reversible to a name in practice: SHA-256, 12 hex digits)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}{h}"


def as_list(values: pd.Series) -> pd.Series:
    """Reference lists as PostNAS and its exports store them, as Python lists.

    Accepts lists, JSON arrays (GeoPackage written by GDAL), PostgreSQL arrays ``{a,b}``,
    OGR string lists ``(2:a,b)`` and single ids.

    Examples
    --------
    >>> as_list(pd.Series(['["a","b"]', '{c,d}', '(1:e)', 'f', None])).tolist()
    [['a', 'b'], ['c', 'd'], ['e'], ['f'], []]
    """
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return []
        if isinstance(v, (list, tuple, np.ndarray)):
            return [str(x).strip() for x in v if x is not None and str(x).strip()]
        s = str(v).strip()
        if not s:
            return []
        if s.startswith("["):
            try:
                return [str(x).strip() for x in json.loads(s) if x]
            except json.JSONDecodeError:
                pass
        if s.startswith("{") and s.endswith("}"):
            s = s[1:-1]
        elif s.startswith("(") and ":" in s and s.endswith(")"):
            s = s[s.index(":") + 1:-1]
        return [x.strip().strip('"') for x in s.split(",") if x.strip().strip('"')]

    return values.map(one)


def share_text(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Reduced fractions as text; whole shares (1/1) give an empty string.

    Examples
    --------
    >>> share_text(np.array([250, 1, 2]), np.array([1000, 1, 4])).tolist()
    ['1/4', '', '1/2']
    """
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    g = np.gcd(num, den)
    g[g == 0] = 1
    n, d = num // g, den // g
    out = np.char.add(np.char.add(n.astype(str), "/"), d.astype(str)).astype(object)
    out[n == d] = ""
    return out
