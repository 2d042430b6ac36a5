"""Class labels as offices deliver them: value ranges ("10 - 30 cm", "≥ 75") and legend words.

Two small, dependency-free tools used when thematic data arrives as class polygons or with its
own legend:

* :func:`parse_range` reads a band label into ``(lo, hi)`` in a target unit; :func:`band_value`
  turns it into the one number a criterion compares (conservative: just below the upper bound);
* :func:`normalize_label` and :func:`match_labels` match legend words tolerantly (case, umlauts,
  ß, hyphens, spaces, German plural and genitive endings) against a vocabulary table.

The shipped vocabularies (:data:`CLIMATE_VOCABULARY`, :data:`PROTECTED_VOCABULARY`) cover the
VDI 3787 Klimatope and the usual German protected-area legends; a configuration adds to them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .names import normalize_label

__all__ = [
    "parse_range", "band_value", "parse_bands", "normalize_label", "match_labels",
    "CLIMATE_VOCABULARY", "PROTECTED_VOCABULARY", "UNIT_FACTORS", "EPSILON",
]

#: Factors from a label unit to the base unit of a role (m, m/s, dB).
UNIT_FACTORS = {"mm": 0.001, "cm": 0.01, "dm": 0.1, "m": 1.0, "m/s": 1.0, "cm/s": 0.01, "km/h": 1 / 3.6,
                "db": 1.0, "db(a)": 1.0}
#: How far below an exclusive upper bound the conservative value of a band lies (base units).
EPSILON = 1e-6

_NUM = r"[-+]?\d+(?:[.,]\d+)?"
_UNIT = r"(?:mm|cm|dm|m/s|cm/s|km/h|m|db\s*\(a\)|db)"
_RE_BETWEEN = re.compile(rf"^(?:von\s+)?(?:>|über|ueber)?\s*({_NUM})\s*({_UNIT})?\s*(?:-|–|—|bis|to|\.\.)\s*"
                         rf"(?:<|unter|<=|≤)?\s*({_NUM})\s*({_UNIT})?$")
_RE_BELOW = re.compile(rf"^(<=|≤|<|unter|bis|kleiner\s+als|weniger\s+als|max\.?)\s*({_NUM})\s*({_UNIT})?$")
_RE_ABOVE = re.compile(rf"^(>=|≥|>|über|ueber|ab|mehr\s+als|größer\s+als|groesser\s+als|mind\.?)\s*({_NUM})\s*"
                       rf"({_UNIT})?$")
_RE_ABOVE_POST = re.compile(rf"^({_NUM})\s*({_UNIT})?\s*(und\s+mehr|\+|und\s+höher|oder\s+mehr)$")


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def _factor(unit: str | None, default_unit: str) -> float:
    u = (unit or default_unit).lower().replace(" ", "")
    return UNIT_FACTORS.get(u, 1.0)


def parse_range(label, *, unit: str = "m") -> tuple[float, float] | None:
    """Read a band label as ``(lo, hi)`` in base units; ``None`` when it is no range.

    ``unit`` is the unit of numbers without a unit in the label (e.g. ``"cm"`` for a depth map
    whose labels read "10 - 30"). Open bands get ``-inf`` / ``inf``. A lower bound written with
    ">" (or "über") is treated like "≥": the difference is below any map's precision.

    Examples
    --------
    >>> parse_range("10 - 30 cm")
    (0.1, 0.3)
    >>> parse_range("< 10 cm")
    (-inf, 0.1)
    >>> parse_range("≥ 75", unit="dB")
    (75.0, inf)
    >>> parse_range("über 75 dB(A)", unit="dB")
    (75.0, inf)
    >>> parse_range("55-60", unit="dB")
    (55.0, 60.0)
    >>> parse_range("hoch") is None
    True
    """
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    if isinstance(label, (int, float, np.integer, np.floating)):
        return None
    text = " ".join(str(label).strip().lower().replace("\u2009", " ").replace("\u00a0", " ").split())
    text = text.replace("–", "-").replace("—", "-").replace("≤", "<=").replace("≥", ">=")
    text = re.sub(r"\s*(dB\s*\(A\)|db\s*\(a\)|dba)\s*$", " db", text, flags=re.I).strip()
    if m := _RE_BETWEEN.match(text):
        f_lo = _factor(m.group(2) or m.group(4), unit)
        f_hi = _factor(m.group(4) or m.group(2), unit)
        lo, hi = _num(m.group(1)) * f_lo, _num(m.group(3)) * f_hi
        return (round(min(lo, hi), 9), round(max(lo, hi), 9))
    if m := _RE_BELOW.match(text):
        return (-math.inf, round(_num(m.group(2)) * _factor(m.group(3), unit), 9))
    if m := _RE_ABOVE.match(text):
        return (round(_num(m.group(2)) * _factor(m.group(3), unit), 9), math.inf)
    if m := _RE_ABOVE_POST.match(text):
        return (round(_num(m.group(1)) * _factor(m.group(2), unit), 9), math.inf)
    return None


def band_value(lo: float, hi: float, *, bound: str = "upper", eps: float = EPSILON) -> float:
    """The number a criterion compares for a band.

    ``bound="upper"`` (conservative): just below the upper bound (``hi - eps``), or the lower
    bound plus ``eps`` for an open top band ("> 50 cm"), so that a band "10 – 30 cm" counts as
    deeper than 10 cm but not as 30 cm. ``eps`` must exceed the rounding of the stored measure
    (0.1 dB for noise levels). ``"lower"``: the lower bound (``0`` for an open bottom band);
    ``"mid"``: the middle of a closed band, otherwise the finite bound.

    Examples
    --------
    >>> round(band_value(0.1, 0.3), 4), band_value(0.5, float("inf")) > 0.5
    (0.3, True)
    >>> band_value(float("-inf"), 0.1, bound="lower")
    0.0
    """
    if bound == "lower":
        return 0.0 if math.isinf(lo) else lo
    if bound == "mid" and not (math.isinf(lo) or math.isinf(hi)):
        return (lo + hi) / 2.0
    if math.isinf(hi):
        return lo + eps
    if bound == "mid":
        return max(hi - eps, 0.0) if math.isinf(lo) else lo
    return hi - eps


def parse_bands(labels: pd.Series, *, unit: str, table: Mapping[str, str] | None = None,
                bound: str = "upper", eps: float = EPSILON) -> tuple[pd.DataFrame, list[str]]:
    """Band labels of a class layer → ``lo``, ``hi``, ``wert`` columns, and the labels not understood.

    ``table`` maps a label of the data (e.g. a class number "3" or "hoch") to a range label
    ("30 - 50 cm"); labels not in the table are parsed themselves. Numbers without a range (a
    plain class number) are not understood unless the table names them.
    """
    table = {normalize_label(k): v for k, v in (table or {}).items()}
    text = labels.astype("string").fillna("").str.strip()
    out = pd.DataFrame({"lo": np.nan, "hi": np.nan, "wert": np.nan}, index=labels.index)
    unknown: list[str] = []
    for value in pd.unique(text.to_numpy()):
        key = normalize_label(value)
        rng = parse_range(table.get(key, value), unit=unit)
        if rng is None and value != "" and key in table:
            rng = parse_range(table[key], unit=unit)
        if rng is None:
            if value != "":
                unknown.append(str(value))
            continue
        sel = (text == value).to_numpy()
        out.loc[sel, "lo"], out.loc[sel, "hi"] = rng
        out.loc[sel, "wert"] = band_value(*rng, bound=bound, eps=eps)
    return out, unknown


_PLURAL = re.compile(r"(en|er|e|n|s)$")


def _stem(key: str) -> str:
    """The key without one German plural/genitive ending (only for words longer than 5 letters)."""
    return _PLURAL.sub("", key) if len(key) > 5 else key


def match_labels(labels: Iterable, vocabulary: Mapping[str, str],
                 extra: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Map every distinct label to a vocabulary value; also return the labels that map to nothing.

    ``vocabulary`` and ``extra`` (the configuration's own table, which wins) map legend words to
    canonical values. A label matches when its normalised form, or its form without a plural
    ending, equals a key's; failing that, when a key of at least six letters is contained in it
    ("Kaltluftleitbahn Nord" → kaltluftleitbahn). The longest key wins.

    Examples
    --------
    >>> match_labels(["Kaltluftleitbahnen", "Stadtklimatop", "Wiese"], CLIMATE_VOCABULARY)
    ({'Kaltluftleitbahnen': 'kaltluftleitbahn', 'Stadtklimatop': 'ueberwaermung'}, ['Wiese'])
    """
    table: dict[str, str] = {}
    for source in (vocabulary, extra or {}):
        for k, v in source.items():
            table[normalize_label(k)] = v
            table[_stem(normalize_label(k))] = v
    keys = sorted(table, key=len, reverse=True)
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    for label in labels:
        if label is None or (isinstance(label, float) and math.isnan(label)) or str(label).strip() == "":
            continue
        if str(label) in mapped or str(label) in unknown:
            continue
        key = normalize_label(label)
        hit = table.get(key) or table.get(_stem(key))
        if hit is None:
            hit = next((table[k] for k in keys if len(k) >= 6 and k in key), None)
        if hit is None:
            unknown.append(str(label))
        else:
            mapped[str(label)] = hit
    return mapped, unknown


#: VDI 3787 Blatt 1 Klimatope and planning-advice words → the climate criterion's functions.
#: ``neutral`` is a recognised class without an effect on building (it passes on purpose).
CLIMATE_VOCABULARY: dict[str, str] = {
    "kaltluftleitbahn": "kaltluftleitbahn", "kaltluftbahn": "kaltluftleitbahn", "luftleitbahn": "kaltluftleitbahn",
    "ventilationsbahn": "kaltluftleitbahn", "frischluftschneise": "kaltluftleitbahn",
    "frischluftbahn": "kaltluftleitbahn", "kaltluftabfluss": "kaltluftleitbahn", "belueftungsbahn": "kaltluftleitbahn",
    "luftaustauschbahn": "kaltluftleitbahn", "kaltluftschneise": "kaltluftleitbahn",
    "kaltluftentstehung": "kaltluftentstehung", "kaltluftentstehungsgebiet": "kaltluftentstehung",
    "kaltluftproduktion": "kaltluftentstehung", "kaltluftproduktionsflaeche": "kaltluftentstehung",
    "freilandklimatop": "kaltluftentstehung", "freilandklima": "kaltluftentstehung",
    "waldklimatop": "kaltluftentstehung", "frischluftentstehung": "kaltluftentstehung",
    "frischluftentstehungsgebiet": "kaltluftentstehung", "kaltluftsammelgebiet": "kaltluftentstehung",
    "ueberwaermung": "ueberwaermung", "ueberwaermungsgebiet": "ueberwaermung", "waermeinsel": "ueberwaermung",
    "stadtklimatop": "ueberwaermung", "innenstadtklimatop": "ueberwaermung", "stadtkernklimatop": "ueberwaermung",
    "gewerbeklimatop": "ueberwaermung", "industrieklimatop": "ueberwaermung",
    "ueberwaermter bereich": "ueberwaermung", "belasteter siedlungsraum": "ueberwaermung",
    "hitzeinsel": "ueberwaermung",
    "gartenstadtklimatop": "neutral", "stadtrandklimatop": "neutral", "vorstadtklimatop": "neutral",
    "parkklimatop": "neutral", "gewaesserklimatop": "neutral", "gruenanlagenklimatop": "neutral",
    "ausgleichsraum": "neutral", "siedlungsraum": "neutral", "keine besondere funktion": "neutral",
    "neutral": "neutral",
}

#: German protected-area legends → the nature criterion's category codes.
#: ``sonstige`` is a recognised category without an effect (e.g. a nature park).
PROTECTED_VOCABULARY: dict[str, str] = {
    "nsg": "NSG", "naturschutzgebiet": "NSG", "nationalpark": "NSG",
    "biotop30": "Biotop30", "30biotop": "Biotop30", "geschuetztesbiotop": "Biotop30",
    "gesetzlichgeschuetztesbiotop": "Biotop30", "pauschalgeschuetztesbiotop": "Biotop30",
    "15lnatschgbiotop": "Biotop30", "biotop": "Biotop30", "30bnatschg": "Biotop30",
    "naturdenkmal": "Naturdenkmal", "nd": "Naturdenkmal", "flaechenhaftesnaturdenkmal": "Naturdenkmal",
    "ffh": "FFH", "ffhgebiet": "FFH", "fauna flora habitat gebiet": "FFH", "natura2000": "FFH",
    "vsg": "VSG", "vogelschutzgebiet": "VSG", "spa": "VSG", "europaeischesvogelschutzgebiet": "VSG",
    "lsg": "LSG", "landschaftsschutzgebiet": "LSG",
    "glb": "Naturdenkmal", "geschuetzterlandschaftsbestandteil": "Naturdenkmal",
    "naturpark": "sonstige", "biosphaerenreservat": "sonstige", "biosphaerengebiet": "sonstige",
}
