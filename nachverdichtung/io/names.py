"""Tolerant matching of layer and field names: one normaliser for every reader.

Offices spell the same layer ``Gebäude_Bauwerk``, ``GEBAEUDE_BAUWERK`` or ``gebaeudebauwerk``;
field names differ in case. Presets and configuration name what they want; these functions find
it in what a delivery has. Layer and field names are matched by :func:`canonical_name`; legend
words and class labels by :func:`normalize_label`, which keeps signs such as ``<``, ``>`` and ``+``
that tell classes apart ("< 10 cm" is not "> 10 cm").
"""

from __future__ import annotations

import fnmatch
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["canonical_name", "normalize_label", "match_layer", "matches", "find_field", "find_column"]

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def canonical_name(name: str, *, separators: bool = False) -> str:
    """Normalise a name for matching: case-folded, umlauts transliterated, accents dropped.

    Without ``separators`` everything but letters, digits and the glob characters ``*?`` is
    removed (``Gebäude_Bauwerk`` = ``gebaeude bauwerk``); with it, separators are kept and only
    surrounding blanks are stripped (DXF layer patterns such as ``Gebäude_Neben*`` rely on them).

    Examples
    --------
    >>> canonical_name("Gebäude_Bauwerk")
    'gebaeudebauwerk'
    >>> canonical_name(" Gebäude_Neben* ", separators=True)
    'gebaeude_neben*'
    """
    name = unicodedata.normalize("NFC", name).casefold().translate(_TRANSLIT)
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return name.strip() if separators else re.sub(r"[^a-z0-9*?]", "", name)


def matches(key: str, patterns: Iterable[str]) -> bool:
    """Whether a normalised name matches one of the normalised glob ``patterns``."""
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def match_layer(available: Iterable[str], wanted: str) -> str | None:
    """The first of ``available`` whose normalised name matches the glob ``wanted``.

    Examples
    --------
    >>> match_layer(["AX_Flurstueck", "AX_Gebaeude"], "ax_gebäude")
    'AX_Gebaeude'
    """
    key = canonical_name(wanted)
    return next((layer for layer in available if fnmatch.fnmatchcase(canonical_name(layer), key)), None)


def find_field(columns: Iterable[str], candidates: Iterable[str]) -> str | None:
    """Return the first column that matches one of ``candidates``, ignoring case.

    Examples
    --------
    >>> find_field(["FLSTKENNZ", "geometry"], ["kennzeichen", "flstkennz"])
    'FLSTKENNZ'
    """
    lower = {c.lower(): c for c in columns}
    return next((lower[c.lower()] for c in candidates if c.lower() in lower), None)


def normalize_label(text) -> str:
    """Lower case, umlauts and ß spelled out, no spaces, hyphens, dots, slashes or § signs.

    Examples
    --------
    >>> normalize_label("Überwärmungs-Gebiet")
    'ueberwaermungsgebiet'
    >>> normalize_label("§ 30 Biotop")
    '30biotop'
    """
    s = str(text).strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e")):
        s = s.replace(a, b)
    return re.sub(r"[\s\-_./,;:()§'\"„“]+", "", s)


def find_column(columns, wanted) -> str | None:
    """A column matching one of ``wanted``: exact (case-insensitive), then by :func:`normalize_label`.

    Examples
    --------
    >>> find_column(["Baum_Art", "geometry"], ["baumart"])
    'Baum_Art'
    """
    lower = {str(c).lower(): c for c in columns}
    for w in wanted:
        if str(w).lower() in lower:
            return lower[str(w).lower()]
    norm = {normalize_label(c): c for c in columns}
    for w in wanted:
        if normalize_label(w) in norm:
            return norm[normalize_label(w)]
    return None
