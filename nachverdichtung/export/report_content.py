"""What the council report says, as plain data: :func:`report_context` and its text helpers.

Shared by the HTML template and the PDF builder (:mod:`.report_pdf`), so both formats always say
the same thing. Nothing here draws or lays out.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..criteria import REGISTRY
from ..criteria.base import BEDINGT, GEEIGNET, KLASSEN, NICHT, UNBEWERTET, fmt
from ..io.codes import parse_flstkennz
from ..params import describe
from .decision import tornado_rows
from .figures import CLASS_COLORS

__all__ = ["report_context", "class_sentence", "parcel_label", "parcel_labels", "parcels_by_flur", "count_phrase", "clean_source",
           "thresholds_for", "DECISION_INTRO", "SENSITIVITY_TEXT", "SCENARIO_TEXT"]

DECISION_INTRO = ("Der Rat, nicht die Software, entscheidet, wie streng die Stadt ist. Dieses Kapitel zeigt, was "
                  "die Einstufung bewegt: welche Änderung eine Fläche um eine Klasse hebt (je Steckbrief unter "
                  "„Was müsste sich ändern?“), wie viele Flächen eine andere Schwelle umstuft und was strengere oder "
                  "lockerere Szenarien ergeben. Alles wird aus den einmal gemessenen Werten neu bewertet.")
SENSITIVITY_TEXT = ("Jede Schwelle einzeln um 20 % gesenkt (links) bzw. angehoben (rechts), alle anderen Werte "
                    "unverändert: Zahl der Flächen, deren Gesamtklasse sich ändert. Die vollständige Tabelle "
                    "(auch ±10 % und die Werte der Szenarien) steht in sensitivitaet.csv.")
SCENARIO_TEXT = ("Flächen je Gesamtklasse und geschätzte Wohneinheiten (Flächenzuschnitt) je Szenario; die "
                 "Szenarien überlagern Parameter und Schalter der Konfiguration (Abschnitt scenarios:).")

#: Unit shown for a measure column suffix.
UNITS = {"pct": "%", "m2": "m²", "m": "m", "grad": "°", "anzahl": "", "db": "dB(A)", "cm": "cm", "ms": "m/s",
         "m_s": "m/s", "kompaktheit": ""}
#: What each input is and who usually provides it (for the annex); unknown names are listed as they are.
SOURCES = {
    "alkis": ("Liegenschaftskataster (ALKIS): Flurstücke, Gebäude, tatsächliche Nutzung",
              "Vermessungs- und Katasterverwaltung; Nutzungsbedingungen des Datenabgebers"),
    "dem": ("Digitales Geländemodell (DGM)", "Vermessungs- und Katasterverwaltung, in RLP dl-de/by-2-0"),
    "rain_depth": ("Starkregen-Gefährdungskarte: Wassertiefe", "Landesamt für Umwelt RLP"),
    "rain_velocity": ("Starkregen-Gefährdungskarte: Fließgeschwindigkeit", "Landesamt für Umwelt RLP"),
    "flow_paths": ("Fließwege", "Landesamt für Umwelt RLP"),
    "trees": ("Baumkataster", "Stadtverwaltung"),
    "protected_areas": ("Schutzgebiete", "LANIS RLP, dl-de/by-2-0"),
    "species": ("Artnachweise", "Naturschutzbehörde; vertraulich zu behandeln"),
    "climate": ("Klimafunktionskarte", "Stadtverwaltung / Klimaanalyse"),
    "noise_lden": ("Lärmkartierung L_DEN", "Landesamt für Umwelt RLP (EU-Umgebungslärmrichtlinie)"),
    "noise_night": ("Lärmkartierung L_Night", "Landesamt für Umwelt RLP (EU-Umgebungslärmrichtlinie)"),
    "noise_areas": ("Lärmkartierung (Polygone)", "Landesamt für Umwelt RLP"),
    "settlement": ("Innenbereich / Siedlungsgrenze", "Stadtverwaltung"),
    "planner_areas": ("Vom Planer gezeichnete Flächen", "Stadtverwaltung"),
    "railways": ("Bahnstrecken", "ALKIS / DB"),
}


# --------------------------------------------------------------------------------------------- text


def count_phrase(n: int) -> tuple[str, str]:
    """Number word and verb for a count: ``(keine, ist)``, ``(eine, ist)``, ``(45, sind)``."""
    word = "keine" if n == 0 else "eine" if n == 1 else str(n)
    return word, ("sind" if n > 1 else "ist")


def class_sentence(counts: dict[str, int]) -> str:
    """The plain-language summary sentence with correct German for 0, 1 and n.

    Examples
    --------
    >>> class_sentence({"geeignet": 0, "bedingt geeignet": 45, "nicht geeignet": 92, "nicht bewertet": 0})
    'Von 137 untersuchten Flächen ist keine geeignet, 45 sind bedingt geeignet und 92 sind nicht geeignet.'
    >>> class_sentence({"geeignet": 1, "bedingt geeignet": 0, "nicht geeignet": 1, "nicht bewertet": 0})
    'Von 2 untersuchten Flächen ist eine geeignet, keine ist bedingt geeignet und eine ist nicht geeignet.'
    """
    total = int(sum(counts.values()))
    if total == 0:
        return "Es wurden keine Potenzialflächen gefunden."
    if total == 1:
        only = next(k for k, v in counts.items() if v)
        if only == UNBEWERTET:
            return "Die einzige untersuchte Fläche konnte nicht bewertet werden."
        return f"Die einzige untersuchte Fläche ist {only}."
    parts = []
    for i, k in enumerate((GEEIGNET, BEDINGT, NICHT)):
        word, verb = count_phrase(int(counts.get(k, 0)))
        parts.append(f"{verb} {word} {k}" if i == 0 else f"{word} {verb} {k}")
    unb = int(counts.get(UNBEWERTET, 0))
    if unb:
        parts.append(f"{count_phrase(unb)[0]} {'konnte' if unb == 1 else 'konnten'} nicht bewertet werden")
    return f"Von {total} untersuchten Flächen " + ", ".join(parts[:-1]) + " und " + parts[-1] + "."


def parcel_label(kennz: str) -> dict:
    """Gemarkung, Flur and "Zähler/Nenner" of a 20-character flstkennz.

    Examples
    --------
    >>> parcel_label("072566001001230004__")
    {'gemarkung': '2566', 'flur': 1, 'flurstueck': '123/4', 'kennzeichen': '072566001001230004__'}
    >>> parcel_label("072566003000170000__")["flurstueck"]
    '17'
    """
    return parcel_labels([kennz])[0]


def parcel_labels(kennz) -> list[dict]:
    """:func:`parcel_label` of many ids at once (parsed by :func:`nachverdichtung.io.codes.parse_flstkennz`)."""
    ids = pd.Series([str(k).strip() for k in kennz], dtype=object)
    if ids.empty:
        return []
    p = parse_flstkennz(ids)
    flur = [None if pd.isna(v) else int(v) for v in p["flur"]]
    nr = ["?" if pd.isna(z) else str(int(z)) + ("" if pd.isna(n) else f"/{int(n)}")
          for z, n in zip(p["zaehler"], p["nenner"])]
    return [{"gemarkung": g, "flur": f, "flurstueck": x, "kennzeichen": k}
            for g, f, x, k in zip(p["gemarkung"].tolist(), flur, nr, ids.tolist())]


def parcels_by_flur(labels: list[dict], *, limit: int = 40) -> str:
    """Parcel numbers grouped by Flur: ``Flur 2: 31, 33, 34/1; Flur 3: 7``.

    Examples
    --------
    >>> parcels_by_flur([parcel_label("072566002000310000__"), parcel_label("072566002000340001__"),
    ...                  parcel_label("072566003000070000__")])
    'Flur 2: 31, 34/1; Flur 3: 7'
    """
    groups: dict = {}
    for p in labels[:limit]:
        groups.setdefault(p["flur"], []).append(p["flurstueck"])
    text = "; ".join(f"Flur {f if f is not None else '?'}: {', '.join(nrs)}" for f, nrs in groups.items())
    if len(labels) > limit:
        text += f" und {len(labels) - limit} weitere"
    return text or "–"


def _unit(measure: str) -> str:
    for suffix, unit in UNITS.items():
        if measure == suffix or measure.endswith("_" + suffix):
            return unit
    return ""


def _digits(unit: str, values) -> int:
    if unit in ("", "m²"):
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        return 0 if len(v) == 0 or np.allclose(v, np.round(v)) or unit == "m²" else 2
    return 1


def _fmt_value(value, unit: str, digits: int) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–" if value is None else str(value)
    return fmt(v, digits, unit)


#: German display of configuration choices that are English keywords.
CHOICES = {"derive": "ableiten", "planner": "Planerflächen", "both": "ableiten und Planerflächen",
           "street": "je Straße ermittelt", "fixed": "feste Tiefe", "worst": "schlechteste Klasse entscheidet"}


def clean_source(text: str) -> str:
    """A parameter's source without project-internal references (``DOMAIN.md §2 …:``, ``[U]``).

    Examples
    --------
    >>> clean_source("DOMAIN.md §2 Slope [U]: keine gesetzliche Schwelle")
    'keine gesetzliche Schwelle (fachliche Annahme)'
    >>> clean_source("DIN 18005, Orientierungswert WA tags 55 dB(A) [S]")
    'DIN 18005, Orientierungswert WA tags 55 dB(A)'
    >>> clean_source("DOMAIN.md §2, § 34 BauGB (Rechtsprechung)")
    '§ 34 BauGB (Rechtsprechung)'
    >>> clean_source("§ 8 LBauO RLP: 0,4 H, mindestens 3 m")
    '§ 8 LBauO RLP: 0,4 H, mindestens 3 m'
    """
    raw = str(text or "")
    unverified = bool(re.search(r"\[(S/)?U\]", raw))
    out = re.sub(r"\b[A-Z_]+\.md\b(\s*§\s*\d+)?[^:,;§]*[:,;]?\s*", "", raw)
    out = re.sub(r"\s*\[[A-Z](/[A-Z])*\]", "", out).strip(" :,;") or "Konvention"
    if unverified and "Annahme" not in out and "unbestätigt" not in out:
        out += " (fachliche Annahme)"
    return out


def _fmt_param(value, unit: str) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        return fmt(value, 0 if value.is_integer() else 2, unit).replace(",00 ", " ")
    if isinstance(value, int):
        return fmt(value, 0, unit)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(CHOICES.get(v, v)) if isinstance(v, str) else str(v) for v in value) if value else "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) if value else "–"
    if value is None:
        return "–"
    return f"{CHOICES.get(value, value) if isinstance(value, str) else value} {unit}".strip()


def _measure_label(measure: str) -> str:
    base = re.sub(r"_(pct|m2|m|grad|anzahl|db|cm|ms|m_s)$", "", measure)
    return base.replace("_", " ").replace("ae", "ä").replace("oe", "ö").replace("ue", "ü").capitalize()


def thresholds_for(params, measure: str) -> list[tuple[float, str]]:
    """Thresholds among ``params`` that apply to the key measure ``measure``.

    A numeric field counts when its unit suffix equals the measure's (``_pct`` with ``_pct``) and
    either ``ab`` is one of its words (``bedingt_ab_pct``, ``tiefe_nicht_ab_m``) or it starts with the
    measure's first word and names a limit (``breite_geeignet_m``, ``breite_min_m``). When some
    candidates start with the measure's first word (``lden_…`` for ``lden_mittel_db``), only those
    are kept. Anything else is skipped, so criteria added later never get a misleading line.

    Examples
    --------
    >>> from nachverdichtung.criteria.topographie import TopographyParams
    >>> [t for t, _ in thresholds_for(TopographyParams(), "neigung_mittel_pct")]
    [10.0, 20.0]
    """
    if params is None or not dataclasses.is_dataclass(params):
        return []
    words = measure.split("_")
    unit, head = words[-1], words[0]
    found = []
    for row in describe(params):
        name, value = row["name"], row["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        t = name.split("_")
        if len(words) < 2 or t[-1] != unit:
            continue
        related = t[0] == head
        if not ("ab" in t or (related and {"geeignet", "min", "max"} & set(t))):
            continue
        label = ("nicht geeignet ab" if "nicht" in t else "bedingt ab" if "bedingt" in t else
                 "geeignet ab" if "geeignet" in t else "Mindestwert" if "min" in t else
                 "Höchstwert" if "max" in t else name)
        v = float(value)
        found.append((v, f"{label} {fmt(v, 0 if v.is_integer() else 2)}", related))
    if any(r for *_, r in found):
        found = [f for f in found if f[2]]
    return [(v, label) for v, label, _ in found]


def _date(text) -> str:
    if not text:
        return "–"
    try:
        return datetime.fromisoformat(str(text)).strftime("%d.%m.%Y")
    except ValueError:
        return str(text)


def _input_label(name: str) -> str:
    """German label of an optional input layer (``dem`` → ``Geländemodell``)."""
    from ..layers import RASTER_INPUTS, VECTOR_INPUTS

    if name in RASTER_INPUTS:
        return RASTER_INPUTS[name]
    if name in VECTOR_INPUTS:
        return VECTOR_INPUTS[name][0]
    return SOURCES.get(name, (name,))[0]


def _titles(names) -> str:
    return ", ".join(REGISTRY[n].title if n in REGISTRY else n for n in names if n)


# ------------------------------------------------------------------------------------------ context


def report_context(assessment) -> dict:
    """Everything the report says, as plain data (shared by the HTML and the PDF).

    Returns
    -------
    dict
        Keys ``title``, ``study_area``, ``date``, ``inputs``, ``summary`` (sentence, class table,
        decisions, parcel accounting), ``method``, ``statistics``, ``areas`` (one fact sheet dict
        each, in report order with running number ``nr``), ``annex``.
    """
    a = assessment
    cfg = a.config
    man = a.manifest or {}
    started = man.get("gestartet")
    return {
        "title": cfg.output.title,
        "date": _date(started) if started else date.today().strftime("%d.%m.%Y"),
        "study_area": (man.get("gebiet") or {}).get("name") or cfg.output.study_area or "Untersuchungsgebiet",
        "study_area_source": (man.get("gebiet") or {}).get("quelle") or "",
        "data_date": _date((man.get("datenstand") or {}).get("datum")),
        "data_date_source": (man.get("datenstand") or {}).get("quelle") or "",
        "inputs": _inputs(man), "summary": _summary(a), "method": _method(a), "statistics": _statistics(a),
        "areas": _fact_sheets(a), "annex": _annex(man), "entscheidung": _decision_context(a),
    }


def _summary(a) -> dict:
    """Chapter 1: the class sentence and table, the deciding criteria, the parcel accounting."""
    areas = a.areas
    counts = {k: int(v) for k, v in a.class_counts().items()}
    total = sum(counts.values())
    share = lambda n: (fmt(100 * n / total, 0, "%") if total else "–")
    prov = areas["klasse_vorlaeufig"].value_counts() if "klasse_vorlaeufig" in areas else pd.Series(dtype=int)
    class_rows = [{"klasse": k, "anzahl": counts[k], "anteil": share(counts[k]), "farbe": CLASS_COLORS[k],
                   "vorlaeufig": int(prov.get(k, 0))}
                  for k in KLASSEN if counts[k] or k != UNBEWERTET]
    decisions = a.decision_counts() if len(areas) else pd.Series(0, index=list(a.criteria))
    crit_rows = []
    for name in a.criteria:
        vc = areas.get(f"{name}_klasse", pd.Series(dtype=object)).value_counts()
        crit_rows.append({"name": name, "titel": REGISTRY[name].title if name in REGISTRY else name,
                          "entscheidend": int(decisions.get(name, 0)),
                          "klassen": [int(vc.get(k, 0)) for k in KLASSEN],
                          "hinweis": "nur informativ" if name in a.config.rating.advisory else ""})
    return {"satz": class_sentence(counts), "potenzial": _potential_sentence(areas),
            "vorlaeufig": _provisional_sentence(areas), "klassen": class_rows, "gesamt": total,
            "kriterien": crit_rows, "flurstuecke": _accounting(a.parcels), "klassennamen": list(KLASSEN)}


def _accounting(parcels) -> dict:
    """How many parcels were checked, lie in an area, were excluded (and why)."""
    status = parcels["status"].astype(str) if "status" in parcels else pd.Series(dtype=str)
    excl = parcels.loc[status != "Kandidat", "grund"].astype(str).value_counts() if len(parcels) else pd.Series()
    return {"gesamt": int(len(parcels)), "kandidat": int((status == "Kandidat").sum()),
            "ausgeschlossen": int((status != "Kandidat").sum()),
            "gruende": [{"grund": g, "anzahl": int(n)} for g, n in excl.items()]}


def _inputs(man: dict) -> list[dict]:
    """The input files of the run (what, who provides it, file, date, checksum)."""
    inputs = [{"name": n, "was": SOURCES.get(n, (n, ""))[0], "quelle": SOURCES.get(n, ("", "–"))[1],
               "pfad": str(v.get("pfad", "")), "datei": Path(str(v.get("pfad", ""))).name or str(v.get("pfad", "")),
               "datum": _date(v.get("geaendert")), "sha256": v.get("sha256") or "–"}
              for n, v in (man.get("eingaben") or {}).items()]
    stand = man.get("datenstand") or {}
    for row in inputs:  # the cadastre's date is the one the delivery states, not the file's
        if row["name"] == "alkis" and stand.get("datum"):
            row["datum"] = _date(stand["datum"])
    return inputs


def _param_rows(params) -> list[dict]:
    """The documented parameters of a parameter dataclass as table rows (description, value, source)."""
    if params is None or not dataclasses.is_dataclass(params):
        return []
    return [{"beschreibung": r["doc"] or r["name"], "schluessel": r["name"],
             "wert": _fmt_param(r["value"], r["unit"]), "quelle": clean_source(r["source"])}
            for r in describe(params)]


def _method(a) -> dict:
    """Chapter 3: the candidate parameters, each criterion with its parameters, the rating rule."""
    cfg = a.config
    method = []
    for name in a.criteria:
        crit = REGISTRY.get(name)
        method.append({
            "name": name, "titel": crit.title if crit else name, "beschreibung": crit.summary if crit else "",
            "eingaben": ", ".join(_input_label(n) for n in crit.inputs) if crit and crit.inputs else "ALKIS",
            "parameter": _param_rows(cfg.criteria.get(name)), "informativ": name in cfg.rating.advisory,
        })
    missing_rule = ("Fehlen für ein Kriterium die Daten, ist die Fläche insgesamt „nicht bewertet“ – fehlende "
                    "Daten lassen nie eine Fläche passieren." if cfg.rating.missing == UNBEWERTET else
                    "Fehlen für ein Kriterium die Daten, gilt die Fläche höchstens als „bedingt geeignet“.")
    rule = ("Jedes Kriterium vergibt eine der Klassen geeignet, bedingt geeignet oder nicht geeignet. "
            "Die Gesamtklasse ist die schlechteste Klasse aller entscheidenden Kriterien: ein einziges "
            "„nicht geeignet“ macht die Fläche nicht geeignet; sonst macht ein „bedingt geeignet“ sie bedingt "
            "geeignet. " + missing_rule)
    if cfg.rating.advisory:
        rule += f" Nur informativ (ohne Einfluss auf die Gesamtklasse): {_titles(cfg.rating.advisory)}."
    return {"kriterien": method, "kandidaten": _param_rows(cfg.candidates), "regel": rule}


def _statistics(a) -> list[dict]:
    """Chapter 4: per criterion with a key measure, its values, classes, thresholds and summary figures."""
    areas = a.areas
    statistics = []
    for name in a.criteria:
        crit = REGISTRY.get(name)
        measure = crit.key_measure if crit else ""
        col = f"{name}_{measure}"
        if not measure or col not in areas:
            continue
        values = pd.to_numeric(areas[col], errors="coerce").to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        unit = _unit(measure)
        digits = _digits(unit, finite)
        statistics.append({
            "name": name, "titel": crit.title, "spalte": col, "messgroesse": _measure_label(measure),
            "einheit": unit, "werte": values, "klassen": areas[f"{name}_klasse"].to_numpy(dtype=object)
            if f"{name}_klasse" in areas else np.full(len(areas), UNBEWERTET, dtype=object),
            "schwellen": thresholds_for(a.config.criteria.get(name), measure),
            "ganzzahlig": measure.endswith("_anzahl") or (len(finite) > 0 and np.allclose(finite, np.round(finite))
                                                         and unit == ""),
            "n": int(len(finite)), "fehlend": int(len(values) - len(finite)),
            "min": fmt(finite.min(), digits, unit) if len(finite) else "–",
            "median": fmt(float(np.median(finite)), digits, unit) if len(finite) else "–",
            "max": fmt(finite.max(), digits, unit) if len(finite) else "–",
        })
    return statistics


def _annex(man: dict) -> dict:
    """The annex: software versions, step times, counts, reading notes, effective configuration."""
    return {
        "software": [{"name": k, "version": str(v)} for k, v in (man.get("software") or {}).items()],
        "zeiten": [{"schritt": k, "sekunden": fmt(float(v), 2, "s")} for k, v in (man.get("zeiten_s") or {}).items()],
        "anzahl": [{"was": k, "wert": str(v)} for k, v in (man.get("anzahl") or {}).items()],
        "protokoll": list(man.get("protokoll") or []),
        "konfiguration": man.get("konfiguration_effektiv") or "",
        "konfigurationsdatei": man.get("konfiguration") or "–",
        "gestartet": man.get("gestartet") or "–",
    }


def _decision_context(a) -> dict:
    """Chapter "Entscheidungshilfen": the thresholds that move the most areas and the scenario comparison."""
    out = {"sensitivitaet": [], "szenarien": [], "szenario_spalten": [], "hebel": {}}
    t = a.sensitivity
    if t is not None and len(t):
        for label, lo, hi in tornado_rows(t, 12):
            out["sensitivitaet"].append({"schwelle": label, "tiefer": lo, "hoeher": hi})
    table = a.scenario_table
    if table is not None and a.config.scenarios:
        out["szenario_spalten"] = [str(c) for c in table.columns]
        out["szenarien"] = [{"name": str(i), "werte": [fmt(float(v), 0) for v in row]} for i, row in table.iterrows()]
    if "hebel_machbar" in a.areas:
        vc = a.areas["hebel_machbar"].astype(str).value_counts()
        out["hebel"] = {k: int(vc.get(k, 0)) for k in ("ja", "teilweise", "nein")}
    out["texte"] = {"intro": DECISION_INTRO, "hebel": _lever_sentence(out["hebel"]) if out["hebel"] else "",
                    "sensitivitaet": SENSITIVITY_TEXT, "szenarien": SCENARIO_TEXT}
    return out


def _provisional_sentence(areas) -> str:
    """What the areas that are "nicht bewertet" would be, judged only by the criteria that could be rated."""
    if "klasse_vorlaeufig" not in areas or not (areas["klasse"] == UNBEWERTET).any():
        return ""
    open_ = areas.loc[areas["klasse"] == UNBEWERTET, "klasse_vorlaeufig"].value_counts()
    parts = [f"{int(open_[k])} {k}" for k in (GEEIGNET, BEDINGT, NICHT) if open_.get(k, 0)]
    n = int((areas["klasse"] == UNBEWERTET).sum())
    return (f"Vorläufige Klasse: Von den {n} nicht bewerteten Flächen wären nach den Kriterien, die bewertet "
            f"werden konnten, {', '.join(parts) or 'keine einzustufen'} (Spalte „vorläufig“; die fehlenden Kriterien "
            "stehen im Steckbrief). Eine vorläufige Klasse ist kein Ergebnis.")


def _potential_sentence(areas) -> str:
    """How many houses/dwellings fit on the geeignet and bedingt geeignet areas (from the plot criterion)."""
    cols = ("zuschnitt_bauplaetze_anzahl", "zuschnitt_wohneinheiten_schaetzung")
    if len(areas) == 0 or not all(c in areas for c in cols):
        return ""
    ok = areas["klasse"].isin([GEEIGNET, BEDINGT])
    houses = int(pd.to_numeric(areas.loc[ok, cols[0]], errors="coerce").fillna(0).clip(lower=0).sum())
    units = int(pd.to_numeric(areas.loc[ok, cols[1]], errors="coerce").fillna(0).clip(lower=0).sum())
    if not ok.any():
        return ""
    return (f"Rechnerische Obergrenze: Auf den geeigneten und bedingt geeigneten Flächen hätten bis zu "
            f"{fmt(houses, 0)} Baukörper Platz, rund {fmt(units, 0)} Wohnungen (dichteste Anordnung laut "
            "Flächenzuschnitt; ohne Abwägung im Einzelfall und ohne die Mitwirkungsbereitschaft der Eigentümer).")


def _fact_sheets(a) -> list[dict]:
    areas = a.areas
    if len(areas) == 0:
        return []
    df = pd.DataFrame(areas.drop(columns=areas.geometry.name))
    geoms = areas.geometry.to_numpy()
    sheets = []
    measure_cols = {n: (f"{n}_{REGISTRY[n].key_measure}" if n in REGISTRY and REGISTRY[n].key_measure else "")
                    for n in a.criteria}
    digits = {n: _digits(_unit(REGISTRY[n].key_measure), df[c]) if c in df else 1 for n, c in measure_cols.items()}
    lists = [[k.strip() for k in str(v or "").split(",") if k.strip()]
             for v in (df["flurstuecke"] if "flurstuecke" in df else [""] * len(df))]
    unique = list(dict.fromkeys(k for ks in lists for k in ks))
    labels = dict(zip(unique, parcel_labels(unique)))  # one vectorised parse for all areas
    for nr, (fid, row) in enumerate(df.iterrows(), start=1):
        kennz = lists[nr - 1]
        parcels = [labels[k] for k in kennz]
        crits = []
        hints = []
        for n in a.criteria:
            k = row.get(f"{n}_klasse", UNBEWERTET)
            col = measure_cols[n]
            unit = _unit(REGISTRY[n].key_measure) if n in REGISTRY else ""
            value = _fmt_value(row.get(col), unit, digits[n]) if col and col in row.index else "–"
            grund = str(row.get(f"{n}_grund", "") or "")
            crits.append({"name": n, "titel": REGISTRY[n].title if n in REGISTRY else n, "klasse": k,
                          "farbe": CLASS_COLORS.get(k, CLASS_COLORS[UNBEWERTET]), "wert": value,
                          "messgroesse": _measure_label(REGISTRY[n].key_measure) if n in REGISTRY else "",
                          "grund": grund})
            if n in ("vorbild", "erschliessung") and grund:
                prefix = "§ 34 BauGB" if n == "vorbild" else "Erschließung"
                hints.append(f"{prefix}: {grund}")
        bl = row.get("baulinie_m")
        if bl is not None and pd.notna(bl):
            street = str(row.get("strasse") or "").strip()
            where = f" der {street}" if street else ""
            hints.insert(0, f"Faktische hintere Baulinie{where}: {fmt(float(bl), 0, 'm')} ab Straßengrenze "
                            "(§ 34 BauGB, Rechtsprechung)")
        if str(row.get("bodenordnung", "") or ""):
            hints.append(f"Bodenordnung / Städtebaurecht: {row['bodenordnung']}")
        klasse = row.get("klasse", UNBEWERTET)
        sheets.append({
            "nr": nr, "id": str(fid), "klasse": klasse, "farbe": CLASS_COLORS.get(klasse, CLASS_COLORS[UNBEWERTET]),
            "flurstuecke": parcels, "kennzeichen": kennz, "flurstuecke_text": parcels_by_flur(parcels),
            "gemarkung": str(row.get("gemarkung", "") or (parcels[0]["gemarkung"] if parcels else "")),
            "flur": ", ".join(sorted({str(p["flur"]) for p in parcels if p["flur"] is not None})) or
                    str(row.get("flur", "") or "–"),
            "flaeche": fmt(float(row["flaeche_m2"]), 0, "m²") if pd.notna(row.get("flaeche_m2")) else
                       fmt(float(geoms[nr - 1].area), 0, "m²"),
            "strasse": str(row.get("strasse", "") or "–"), "quelle": str(row.get("quelle", "") or ""),
            "hinweise": hints, "kriterien": crits,
            "entscheidend": _titles(str(row.get("entscheidend", "") or "").split(", ")) or "–",
            "nicht_bewertet": _titles(str(row.get("nicht_bewertet", "") or "").split(", ")),
            "beteiligung": str(row.get("beteiligung", "") or ""),
            "zusammenfassung": str(row.get("zusammenfassung", "") or ""),
            "hebel": _sheet_levers(row, a.criteria),
            "vorlaeufig": str(row.get("vorlaeufig", "") or "") if klasse == UNBEWERTET else "",
            "geometry": geoms[nr - 1],
        })
    return sheets


def _lever_sentence(counts: dict) -> str:
    """How many not-geeignet areas the owner or the city could lift (from ``hebel_machbar``)."""
    return (f"Von den nicht geeigneten und bedingt geeigneten Flächen könnten Eigentümer oder Stadt bei "
            f"{counts.get('ja', 0)} alle entscheidenden Kriterien um eine Klasse verbessern, bei "
            f"{counts.get('teilweise', 0)} einen Teil davon; bei {counts.get('nein', 0)} liegt es an Gegebenheiten, "
            "die niemand ändern kann (z. B. Gelände, Schutzgebiete, Lärm) oder an den Schwellen selbst.")


def _sheet_levers(row, criteria) -> list[str]:
    """"Was müsste sich ändern?": the lever sentence of every criterion that is not geeignet, deciding ones first."""
    deciding = [c for c in str(row.get("entscheidend", "") or "").split(", ") if c]
    order = deciding + [c for c in criteria if c not in deciding]
    out = []
    for n in order:
        text = str(row.get(f"hebel_{n}", "") or "")
        if text:
            title = REGISTRY[n].title if n in REGISTRY else n
            out.append(f"{title}: {text}")
    return out


