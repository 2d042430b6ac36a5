"""Where backland may be: eligibility of the actual land use (tatsächliche Nutzung) per ALKIS class.

A land-use polygon is eligible for second-row building when its object type, refined by its
attribute (``funktion``, ``vegetationsmerkmal``, ``artderbebauung``), is eligible in the rule table.
The code values and their names are those of the GeoInfoDok 7.1 AAA code lists
(Werteartenlisten), as shipped with norBIT ALKIS-Import (``alkis-schema.sql``, tables
``ax_vegetationsmerkmal_landwirtschaft``, ``ax_funktion_sportfreizeitunderholungsflaeche``,
``ax_funktion_flaechebesondererfunktionalerpraegung``, ``ax_funktion_flaechegemischternutzung``,
``ax_artderbebauung_*``; https://github.com/norBIT/alkisimport). The eligibility defaults are
planning conventions of this project [U], documented in ``docs/criteria.md``; every rule can be
overridden in the configuration (``candidates.landuse_eligible``).

Rule keys are ``objektart`` (the whole object type) or ``objektart.attribut.code`` (one value);
a value rule wins over the object-type rule. This module is a leaf: it imports only numpy,
pandas and the error types.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = ["OBJEKTARTEN", "CODES", "DEFAULT_RULES", "PUBLIC_FACILITIES", "CLASS_OBJEKTART", "resolve_rules",
           "eligibility", "unknown_codes", "ATTRIBUTES"]

#: Attributes that refine an object type, in lookup order.
ATTRIBUTES = ("funktion", "vegetationsmerkmal", "artderbebauung")

#: Object type → (German label for reasons, coarse ``nutzung`` class used elsewhere).
OBJEKTARTEN: dict[str, tuple[str, str]] = {
    "ax_wohnbauflaeche": ("Wohnbaufläche", "wohnbau"),
    "ax_flaechegemischternutzung": ("Fläche gemischter Nutzung", "gemischt"),
    "ax_flaechebesondererfunktionalerpraegung": ("Fläche besonderer funktionaler Prägung", "oeffentlich"),
    "ax_industrieundgewerbeflaeche": ("Industrie- und Gewerbefläche", "gewerbe"),
    "ax_sportfreizeitunderholungsflaeche": ("Sport-, Freizeit- und Erholungsfläche", "gruen"),
    "ax_friedhof": ("Friedhof", "gruen"),
    "ax_landwirtschaft": ("Landwirtschaftsfläche", "landwirtschaft"),
    "ax_wald": ("Wald", "wald"),
    "ax_gehoelz": ("Gehölz", "wald"),
    "ax_heide": ("Heide", "landwirtschaft"),
    "ax_moor": ("Moor", "sonstige"),
    "ax_sumpf": ("Sumpf", "sonstige"),
    "ax_unlandvegetationsloseflaeche": ("Unland / vegetationslose Fläche", "sonstige"),
    "ax_halde": ("Halde", "sonstige"),
    "ax_bergbaubetrieb": ("Bergbaubetrieb", "sonstige"),
    "ax_tagebaugrubesteinbruch": ("Tagebau, Grube, Steinbruch", "sonstige"),
    "ax_fliessgewaesser": ("Fließgewässer", "gewaesser"),
    "ax_stehendesgewaesser": ("Stehendes Gewässer", "gewaesser"),
    "ax_hafenbecken": ("Hafenbecken", "gewaesser"),
    "ax_meer": ("Meer", "gewaesser"),
    "ax_strassenverkehr": ("Straßenverkehr", "verkehr"),
    "ax_weg": ("Weg", "verkehr"),
    "ax_platz": ("Platz", "verkehr"),
    "ax_bahnverkehr": ("Bahnverkehr", "bahn"),
    "ax_flugverkehr": ("Flugverkehr", "verkehr"),
    "ax_schiffsverkehr": ("Schiffsverkehr", "verkehr"),
}

#: Coarse class (DXF layers, hand-made data without an object type) → object type.
CLASS_OBJEKTART = {"wohnbau": "ax_wohnbauflaeche", "gemischt": "ax_flaechegemischternutzung",
                   "oeffentlich": "ax_flaechebesondererfunktionalerpraegung",
                   "gewerbe": "ax_industrieundgewerbeflaeche", "gruen": "ax_sportfreizeitunderholungsflaeche",
                   "wald": "ax_wald", "landwirtschaft": "ax_landwirtschaft", "gewaesser": "ax_stehendesgewaesser",
                   "bahn": "ax_bahnverkehr", "verkehr": "ax_strassenverkehr"}

#: Code lists (GeoInfoDok 7.1 / norBIT ALKIS-Import ``alkis-schema.sql``): objektart → attribute → code → name.
CODES: dict[str, dict[str, dict[str, str]]] = {
    "ax_wohnbauflaeche": {"artderbebauung": {"1000": "Offen", "2000": "Geschlossen"}},
    "ax_flaechegemischternutzung": {
        "artderbebauung": {"1000": "Offen", "2000": "Geschlossen"},
        "funktion": {
            "2100": "Gebäude- und Freifläche, Mischnutzung mit Wohnen", "2110": "Wohnen mit Öffentlich",
            "2120": "Wohnen mit Handel und Dienstleistungen", "2130": "Wohnen mit Gewerbe und Industrie",
            "2140": "Öffentlich mit Wohnen", "2150": "Handel und Dienstleistungen mit Wohnen",
            "2160": "Gewerbe und Industrie mit Wohnen",
            "2700": "Gebäude- und Freifläche Land- und Forstwirtschaft", "2710": "Wohnen", "2720": "Betrieb",
            "2730": "Wohnen und Betrieb", "6800": "Landwirtschaftliche Betriebsfläche",
            "7600": "Forstwirtschaftliche Betriebsfläche"}},
    "ax_flaechebesondererfunktionalerpraegung": {
        "artderbebauung": {"1000": "Offen", "2000": "Geschlossen"},
        "funktion": {
            "1100": "Öffentliche Zwecke", "1110": "Verwaltung", "1120": "Bildung und Forschung", "1130": "Kultur",
            "1140": "Religiöse Einrichtung", "1150": "Gesundheit, Kur", "1160": "Soziales",
            "1170": "Sicherheit und Ordnung", "1200": "Parken", "1300": "Historische Anlage",
            "1310": "Burg-, Festungsanlage", "1320": "Schlossanlage"}},
    "ax_sportfreizeitunderholungsflaeche": {"funktion": {
        "4001": "Gebäude- und Freifläche Sport, Freizeit und Erholung", "4100": "Sportanlage",
        "4101": "Gebäude- u. Freifläche Erholung, Sport", "4110": "Golfplatz", "4120": "Sportplatz",
        "4130": "Rennbahn", "4140": "Reitplatz", "4150": "Schießanlage", "4160": "Eis-, Rollschuhbahn",
        "4170": "Tennisplatz", "4200": "Freizeitanlage", "4210": "Zoo", "4211": "Gebäude- u. Freifläche Erholung, Zoologie",
        "4220": "Safaripark, Wildpark", "4230": "Freizeitpark", "4240": "Freilichttheater",
        "4250": "Freilichtmuseum", "4260": "Autokino, Freilichtkino", "4270": "Verkehrsübungsplatz",
        "4280": "Hundeübungsplatz", "4290": "Modellflugplatz", "4300": "Erholungsfläche",
        "4301": "Gebäude- und Freifläche Erholung", "4310": "Wochenend- und Ferienhausfläche",
        "4320": "Schwimmbad, Freibad", "4321": "Gebäude- u. Freifläche Erholung, Bad", "4330": "Campingplatz",
        "4331": "Gebäude- u. Freifläche Erholung, Camping", "4400": "Grünanlage", "4410": "Grünfläche",
        "4420": "Park", "4430": "Botanischer Garten", "4431": "Gebäude- u. Freifläche Erholung, Botanik",
        "4440": "Kleingarten", "4450": "Wochenendplatz", "4460": "Garten", "4470": "Spielplatz, Bolzplatz",
        "9999": "Sonstiges"}},
    "ax_landwirtschaft": {"vegetationsmerkmal": {
        "1010": "Ackerland", "1011": "Streuobstacker", "1012": "Hopfen", "1013": "Spargel", "1020": "Grünland",
        "1021": "Streuobstwiese", "1030": "Gartenland", "1031": "Baumschule", "1040": "Weingarten",
        "1050": "Obstplantage", "1051": "Obstbaumplantage", "1052": "Obststrauchplantage", "1200": "Brachland"}},
    "ax_friedhof": {"funktion": {"9401": "Gebäude- und Freifläche Friedhof", "9402": "Friedhof (ohne Gebäude)",
                                 "9403": "Friedhof (Park)", "9404": "Historischer Friedhof"}},
}

#: Labels used in reasons where the code-list name reads badly in a sentence ("liegt auf …").
REASON_LABELS = {
    ("ax_landwirtschaft", "vegetationsmerkmal", "1040"): "Weinbaufläche",
    ("ax_landwirtschaft", "vegetationsmerkmal", "1010"): "Ackerland",
    ("ax_landwirtschaft", "vegetationsmerkmal", "1020"): "Grünland",
    ("ax_flaechebesondererfunktionalerpraegung", "funktion", "1120"): "Schul- und Bildungsgelände",
    ("ax_flaechebesondererfunktionalerpraegung", "funktion", "1140"): "Kirchengelände (religiöse Einrichtung)",
    ("ax_sportfreizeitunderholungsflaeche", "funktion", "4470"): "Spielplatz",
}

#: ``ax_flaechebesondererfunktionalerpraegung`` functions of public facilities (the switch
#: ``public_facilities_eligible``): Öffentliche Zwecke, Verwaltung, Bildung, Kultur, Religion,
#: Gesundheit, Soziales, Sicherheit.
PUBLIC_FACILITIES = ("1100", "1110", "1120", "1130", "1140", "1150", "1160", "1170")

_FG = "ax_flaechegemischternutzung"
#: Default eligibility [U, project convention, see docs/criteria.md]. Everything not listed is not eligible.
DEFAULT_RULES: dict[str, bool] = {
    "ax_wohnbauflaeche": True,
    "ax_wohnbauflaeche.artderbebauung.1000": True,
    "ax_wohnbauflaeche.artderbebauung.2000": True,
    # Fläche gemischter Nutzung, reviewed value by value: everything with housing, and village farmsteads
    # with housing (Hofreiten, typical of wine villages: § 5 BauNVO Dorfgebiet), is eligible; pure farm or
    # forestry operating land is not (it belongs to the business, often outside the village).
    _FG: True,
    **{f"{_FG}.funktion.{c}": True for c in ("2100", "2110", "2120", "2130", "2140", "2150", "2160", "2700",
                                             "2710", "2730")},
    f"{_FG}.funktion.2720": False,
    f"{_FG}.funktion.6800": False,
    f"{_FG}.funktion.7600": False,
    "ax_flaechebesondererfunktionalerpraegung": False,
    "ax_sportfreizeitunderholungsflaeche": False,
    "ax_sportfreizeitunderholungsflaeche.funktion.4460": True,   # Garten (house garden)
    "ax_landwirtschaft": False,
    "ax_landwirtschaft.vegetationsmerkmal.1030": True,          # Gartenland
}


def _norm(text: str) -> str:
    text = str(text).lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text))


def resolve_rules(overrides: Mapping[str, bool] | None = None, *, public_facilities: bool = False,
                  file=None, key: str = "candidates.landuse_eligible") -> dict[str, bool]:
    """The effective rule table: defaults, the public-facilities switch, then the configured overrides.

    Raises
    ------
    ConfigError
        For an unknown object type, attribute or code value in ``overrides``.

    Examples
    --------
    >>> r = resolve_rules({"ax_landwirtschaft.vegetationsmerkmal.1040": True})
    >>> r["ax_landwirtschaft.vegetationsmerkmal.1040"], r["ax_landwirtschaft"]
    (True, False)
    """
    rules = dict(DEFAULT_RULES)
    if public_facilities:
        rules.update({f"ax_flaechebesondererfunktionalerpraegung.funktion.{c}": True for c in PUBLIC_FACILITIES})
    for k, v in (overrides or {}).items():
        parts = str(k).strip().lower().split(".")
        if parts[0] not in OBJEKTARTEN:
            raise ConfigError(f"unbekannte Objektart {parts[0]!r}", file=file, key=f"{key}.{k}",
                              fix=f"eine von {', '.join(OBJEKTARTEN)} angeben")
        if len(parts) == 3:
            codes = CODES.get(parts[0], {}).get(parts[1])
            if codes is None or parts[2] not in codes:
                known = ", ".join(f"{a}.{c}" for a, cs in CODES.get(parts[0], {}).items() for c in cs) or "keine"
                raise ConfigError(f"unbekannter Wert {k!r}", file=file, key=f"{key}.{k}",
                                  fix=f"'<objektart>.<attribut>.<code>' mit einem Wert der AAA-Codeliste "
                                      f"angeben (für {parts[0]}: {known})")
        elif len(parts) != 1:
            raise ConfigError(f"Schlüssel {k!r} nicht lesbar", file=file, key=f"{key}.{k}",
                              fix="'ax_landwirtschaft' oder 'ax_landwirtschaft.vegetationsmerkmal.1030' schreiben")
        if not isinstance(v, bool):
            raise ConfigError(f"erwartet true/false, gefunden {v!r}", file=file, key=f"{key}.{k}",
                              fix="true (zulässig) oder false (nicht zulässig) angeben")
        rules[".".join(parts)] = v
    return rules


def _objektart(landuse: pd.DataFrame) -> np.ndarray:
    n = len(landuse)
    cls = landuse["nutzung"].astype(str).to_numpy(dtype=object) if "nutzung" in landuse else np.full(n, "", object)
    fallback = np.array([CLASS_OBJEKTART.get(c, "") for c in cls], dtype=object)
    if "objektart" not in landuse:
        return fallback
    oa = landuse["objektart"].fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)
    return np.where(pd.Series(oa).isin(list(OBJEKTARTEN)).to_numpy(), oa, fallback)


def _norm_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`_norm` (lower case, umlauts folded, only letters and digits)."""
    s = s.astype("string").fillna("").str.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.str.replace(a, b, regex=False)
    return s.str.replace(r"[^a-z0-9]", "", regex=True)


#: Flat lookups built once from the code lists.
_NAME_TO_CODE = {f"{oa}|{attr}|{_norm(name)}": code for oa, attrs in CODES.items()
                 for attr, codes in attrs.items() for code, name in codes.items()}
_KEY_LABEL = {f"{oa}.{attr}.{code}": REASON_LABELS.get((oa, attr, code), name) for oa, attrs in CODES.items()
              for attr, codes in attrs.items() if attr != "artderbebauung" for code, name in codes.items()}
_KNOWN = {f"{oa}.{attr}.{code}" for oa, attrs in CODES.items() for attr, codes in attrs.items() for code in codes}


def _codes(landuse: pd.DataFrame, objektart: np.ndarray, attribute: str) -> np.ndarray:
    """Attribute code per polygon as text ('' if none); names (ALKIS vereinfacht ``bez``) become codes."""
    n = len(landuse)
    out = np.full(n, "", dtype=object)
    if attribute in landuse:
        raw = landuse[attribute]
        num = pd.to_numeric(raw, errors="coerce")
        text = raw.astype("string").fillna("").str.strip().to_numpy(dtype=object)
        out = np.where(num.notna().to_numpy(), num.fillna(0).astype(np.int64).astype(str).to_numpy(dtype=object),
                       text).astype(object)
    if "merkmal" in landuse:  # a name only (ALKIS vereinfacht): look it up in this object type's list
        key = pd.Series(objektart, index=landuse.index) + f"|{attribute}|" + _norm_series(landuse["merkmal"])
        found = key.map(_NAME_TO_CODE).fillna("").to_numpy(dtype=object)
        out = np.where(out == "", found, out).astype(object)
    return out


def eligibility(landuse: pd.DataFrame, rules: Mapping[str, bool]) -> tuple[np.ndarray, np.ndarray]:
    """Whether each land-use polygon is eligible, and its German label for reasons.

    The first attribute (in :data:`ATTRIBUTES` order) with a rule for its value decides; without one
    the object-type rule decides; an object type without a rule is not eligible.

    Parameters
    ----------
    landuse
        Canonical land use: ``nutzung`` and, where the delivery has them, ``objektart``,
        ``funktion``, ``vegetationsmerkmal``, ``artderbebauung`` (codes) or ``merkmal`` (the
        attribute's name, ALKIS vereinfacht ``bez``).
    rules
        From :func:`resolve_rules`.

    Returns
    -------
    (ndarray of bool, ndarray of str)

    Examples
    --------
    >>> lu = pd.DataFrame({"objektart": ["ax_landwirtschaft", "ax_landwirtschaft"],
    ...                    "vegetationsmerkmal": ["1040", "1030"]})
    >>> ok, label = eligibility(lu, resolve_rules())
    >>> ok.tolist(), label.tolist()
    ([False, True], ['Weinbaufläche', 'Gartenland'])
    """
    oa = pd.Series(_objektart(landuse), index=landuse.index)
    rule_of = pd.Series(dict(rules), dtype=object)
    decided = oa.map(rule_of)
    label = oa.map({k: v[0] for k, v in OBJEKTARTEN.items()}).fillna(oa.where(oa != "", "unbekannte Nutzung"))
    value_rule = pd.Series(np.nan, index=landuse.index, dtype=object)
    for attribute in ATTRIBUTES:
        key = oa + f".{attribute}." + pd.Series(_codes(landuse, oa.to_numpy(), attribute), index=landuse.index)
        value_rule = value_rule.where(value_rule.notna(), key.map(rule_of))
        label = key.map(_KEY_LABEL).fillna(label)
    decided = value_rule.where(value_rule.notna(), decided)
    ok = decided.fillna(False).astype(bool).to_numpy()
    return ok, label.astype(str).to_numpy(dtype=object)


def unknown_codes(landuse: pd.DataFrame, *, what: str = "Tatsächliche Nutzung") -> list[str]:
    """One German sentence per (object type, attribute, value) not in the code lists, with its count.

    Such polygons are judged by their object type alone; the sentence says so (run log, ``validate``).
    """
    oa = _objektart(landuse)
    out = []
    for attribute in ATTRIBUTES:
        if attribute not in landuse and "merkmal" not in landuse:
            continue
        codes = _codes(landuse, oa, attribute)
        has_raw = (landuse[attribute].astype("string").fillna("").str.strip() != "").to_numpy() \
            if attribute in landuse else np.zeros(len(oa), dtype=bool)
        known = pd.Series(oa + f".{attribute}." + codes).isin(_KNOWN).to_numpy()
        bad = has_raw & ~known
        if bad.any():
            df = pd.DataFrame({"oa": oa[bad], "code": landuse[attribute].astype(str).to_numpy()[bad]})
            for (o, c), grp in df.groupby(["oa", "code"], sort=True):
                out.append(f"{what}: {len(grp)} Flächen {o} mit unbekanntem Wert {attribute}={c} "
                           f"(nicht in der AAA-Codeliste); nach der Objektart allein beurteilt")
    return out
