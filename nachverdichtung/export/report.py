"""The report for the council: ``bericht.html`` (self-contained) and ``bericht.pdf``.

Both formats are rendered from one plain context (:func:`report_context`) and one set of figures,
so they always say the same thing. Chapters: title page, summary, overview map, method (from the
effective configuration), statistics per criterion, one fact sheet (Steckbrief) per area, annex
(data sources, run manifest, configuration).

The PDF is built with reportlab (pure Python) and DejaVu Sans from matplotlib's bundled fonts, so
umlauts and ß render on any machine without system libraries.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import re
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..criteria import REGISTRY
from ..criteria.base import BEDINGT, GEEIGNET, KLASSEN, NICHT, UNBEWERTET, fmt
from ..params import describe
from .decision import tornado_rows
from .figures import CLASS_COLORS, SnippetRenderer, class_bar_chart, criterion_histogram, overview_map, tornado_chart

log = logging.getLogger(__name__)

__all__ = ["write_report", "report_context", "render_html", "render_pdf", "class_sentence", "parcel_label",
           "count_phrase"]

TEMPLATES = Path(__file__).with_name("templates")

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
    s = str(kennz).strip().ljust(20, "_")
    num = lambda a, b: int(s[a:b].replace("_", "") or 0) if s[a:b].replace("_", "").isdigit() else None
    zaehler, nenner = num(9, 14), num(14, 18)
    nr = "?" if zaehler is None else str(zaehler) + (f"/{nenner}" if nenner else "")
    return {"gemarkung": s[2:6], "flur": num(6, 9), "flurstueck": nr, "kennzeichen": str(kennz).strip()}


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
    areas = a.areas
    cfg = a.config
    man = a.manifest or {}
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
        col = areas.get(f"{name}_klasse", pd.Series(dtype=object))
        vc = col.value_counts()
        crit_rows.append({"name": name, "titel": REGISTRY[name].title if name in REGISTRY else name,
                          "entscheidend": int(decisions.get(name, 0)),
                          "klassen": [int(vc.get(k, 0)) for k in KLASSEN],
                          "hinweis": "nur informativ" if name in cfg.rating.advisory else ""})
    parcels = a.parcels
    status = parcels["status"].astype(str) if "status" in parcels else pd.Series(dtype=str)
    excl = parcels.loc[status != "Kandidat", "grund"].astype(str).value_counts() if len(parcels) else pd.Series()
    accounting = {"gesamt": int(len(parcels)), "kandidat": int((status == "Kandidat").sum()),
                  "ausgeschlossen": int((status != "Kandidat").sum()),
                  "gruende": [{"grund": g, "anzahl": int(n)} for g, n in excl.items()]}
    started = man.get("gestartet")
    run_date = _date(started) if started else date.today().strftime("%d.%m.%Y")
    inputs = [{"name": n, "was": SOURCES.get(n, (n, ""))[0], "quelle": SOURCES.get(n, ("", "–"))[1],
               "pfad": str(v.get("pfad", "")), "datei": Path(str(v.get("pfad", ""))).name or str(v.get("pfad", "")),
               "datum": _date(v.get("geaendert")), "sha256": v.get("sha256") or "–"}
              for n, v in (man.get("eingaben") or {}).items()]
    stand = man.get("datenstand") or {}
    for row in inputs:  # the cadastre's date is the one the delivery states, not the file's
        if row["name"] == "alkis" and stand.get("datum"):
            row["datum"] = _date(stand["datum"])

    method = []
    for name in a.criteria:
        crit = REGISTRY.get(name)
        params = cfg.criteria.get(name)
        rows = describe(params) if params is not None and dataclasses.is_dataclass(params) else []
        method.append({
            "name": name, "titel": crit.title if crit else name, "beschreibung": crit.summary if crit else "",
            "eingaben": ", ".join(_input_label(n) for n in crit.inputs) if crit and crit.inputs else "ALKIS",
            "parameter": [{"beschreibung": r["doc"] or r["name"], "schluessel": r["name"],
                           "wert": _fmt_param(r["value"], r["unit"]), "quelle": clean_source(r["source"])}
                          for r in rows],
            "informativ": name in cfg.rating.advisory,
        })
    cand_rows = [{"beschreibung": r["doc"] or r["name"], "schluessel": r["name"],
                  "wert": _fmt_param(r["value"], r["unit"]), "quelle": clean_source(r["source"])}
                 for r in describe(cfg.candidates)] if dataclasses.is_dataclass(cfg.candidates) else []
    missing_rule = ("Fehlen für ein Kriterium die Daten, ist die Fläche insgesamt „nicht bewertet“ – fehlende "
                    "Daten lassen nie eine Fläche passieren." if cfg.rating.missing == UNBEWERTET else
                    "Fehlen für ein Kriterium die Daten, gilt die Fläche höchstens als „bedingt geeignet“.")
    rule = ("Jedes Kriterium vergibt eine der Klassen geeignet, bedingt geeignet oder nicht geeignet. "
            "Die Gesamtklasse ist die schlechteste Klasse aller entscheidenden Kriterien: ein einziges "
            "„nicht geeignet“ macht die Fläche nicht geeignet; sonst macht ein „bedingt geeignet“ sie bedingt "
            "geeignet. " + missing_rule)
    if cfg.rating.advisory:
        rule += f" Nur informativ (ohne Einfluss auf die Gesamtklasse): {_titles(cfg.rating.advisory)}."

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
            "schwellen": thresholds_for(cfg.criteria.get(name), measure),
            "ganzzahlig": measure.endswith("_anzahl") or (len(finite) > 0 and np.allclose(finite, np.round(finite))
                                                         and unit == ""),
            "n": int(len(finite)), "fehlend": int(len(values) - len(finite)),
            "min": fmt(finite.min(), digits, unit) if len(finite) else "–",
            "median": fmt(float(np.median(finite)), digits, unit) if len(finite) else "–",
            "max": fmt(finite.max(), digits, unit) if len(finite) else "–",
        })

    sheets = _fact_sheets(a)
    decision = _decision_context(a)
    man_rows = {
        "software": [{"name": k, "version": str(v)} for k, v in (man.get("software") or {}).items()],
        "zeiten": [{"schritt": k, "sekunden": fmt(float(v), 2, "s")} for k, v in (man.get("zeiten_s") or {}).items()],
        "anzahl": [{"was": k, "wert": str(v)} for k, v in (man.get("anzahl") or {}).items()],
        "protokoll": list(man.get("protokoll") or []),
        "konfiguration": man.get("konfiguration_effektiv") or "",
        "konfigurationsdatei": man.get("konfiguration") or "–",
        "gestartet": started or "–",
    }
    return {
        "title": cfg.output.title, "date": run_date,
        "study_area": (man.get("gebiet") or {}).get("name") or cfg.output.study_area or "Untersuchungsgebiet",
        "study_area_source": (man.get("gebiet") or {}).get("quelle") or "",
        "data_date": _date((man.get("datenstand") or {}).get("datum")),
        "data_date_source": (man.get("datenstand") or {}).get("quelle") or "",
        "inputs": inputs,
        "summary": {"satz": class_sentence(counts), "potenzial": _potential_sentence(areas),
                    "vorlaeufig": _provisional_sentence(areas),
                    "klassen": class_rows, "gesamt": total,
                    "kriterien": crit_rows, "flurstuecke": accounting, "klassennamen": list(KLASSEN)},
        "method": {"kriterien": method, "kandidaten": cand_rows, "regel": rule},
        "statistics": statistics, "areas": sheets, "annex": man_rows, "entscheidung": decision,
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
    for nr, (fid, row) in enumerate(df.iterrows(), start=1):
        kennz = [k.strip() for k in str(row.get("flurstuecke", "") or "").split(",") if k.strip()]
        parcels = [parcel_label(k) for k in kennz]
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


# ------------------------------------------------------------------------------------------ figures


def report_figures(assessment, ctx: dict, *, progress=None) -> dict:
    """Render every figure as PNG bytes: ``overview``, ``classes``, ``hist:<name>``, ``sheet:<id>``."""
    a = assessment
    L = a.layers
    figs = {"classes": class_bar_chart({r["klasse"]: r["anzahl"] for r in ctx["summary"]["klassen"]})}
    figs["overview"] = overview_map(a.areas, L.parcels, L.buildings, L.roads,
                                    numbers=[s["nr"] for s in ctx["areas"]],
                                    settlement=getattr(a.candidates, "settlement", None))
    for st in ctx["statistics"]:
        unit = f" [{st['einheit']}]" if st["einheit"] else ""
        figs[f"hist:{st['name']}"] = criterion_histogram(st["werte"], st["klassen"], xlabel=st["messgroesse"] + unit,
                                                         thresholds=st["schwellen"], integer=st["ganzzahlig"])
    if ctx["entscheidung"]["sensitivitaet"]:
        figs["tornado"] = tornado_chart([(r["schwelle"], r["tiefer"], r["hoeher"])
                                         for r in ctx["entscheidung"]["sensitivitaet"]])
    if ctx["areas"]:
        snip = SnippetRenderer(L.parcels, L.buildings, L.roads)
        for s in ctx["areas"]:
            figs[f"sheet:{s['id']}"] = snip.render(s["geometry"], s["klasse"], parcels_involved=s["kennzeichen"],
                                                   street_name=s["strasse"] if s["strasse"] != "–" else "")
    return figs


# --------------------------------------------------------------------------------------------- HTML


def render_html(ctx: dict, figures: dict) -> str:
    """The self-contained HTML report (images as base64 PNG, CSS inline)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(
        ["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    img = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in figures.items()}
    css = (TEMPLATES / "bericht.css").read_text(encoding="utf-8")
    return env.get_template("bericht.html.j2").render(ctx=ctx, img=img, css=css, klassen=KLASSEN,
                                                      colors=CLASS_COLORS)


# ---------------------------------------------------------------------------------------------- PDF


def render_pdf(ctx: dict, figures: dict, path: Path) -> dict:
    """Write the PDF; return page bookkeeping.

    Returns
    -------
    dict
        ``seiten`` (total pages), ``steckbrief_seiten`` (page number of each fact sheet, in order)
        and ``feste_seiten`` (all pages that are not fact sheets).
    """
    return _PdfBuilder(ctx, figures).build(Path(path))


def write_report(assessment, folder: Path) -> list[Path]:
    """Write ``bericht.html`` and ``bericht.pdf`` into ``folder``.

    Examples
    --------
    >>> write_report(result, Path("data/processed/lauf1"))  # doctest: +SKIP
    [PosixPath('data/processed/lauf1/bericht.html'), PosixPath('data/processed/lauf1/bericht.pdf')]
    """
    folder = Path(folder)
    t0 = time.perf_counter()
    ctx = report_context(assessment)
    figs = report_figures(assessment, ctx)
    t1 = time.perf_counter()
    html = folder / "bericht.html"
    html.write_text(render_html(ctx, figs), encoding="utf-8")
    pdf = folder / "bericht.pdf"
    info = render_pdf(ctx, figs, pdf)
    log.info("Bericht: %d Flächen, %d Seiten, Abbildungen %.1f s, gesamt %.1f s", len(ctx["areas"]),
             info["seiten"], t1 - t0, time.perf_counter() - t0)
    return [html, pdf]


class _PdfBuilder:
    """reportlab story for the report; records on which page each fact sheet landed."""

    def __init__(self, ctx: dict, figures: dict):
        self.ctx = ctx
        self.figures = figures
        self.pages: dict[str, int] = {}
        self.last_page = 0
        self._fonts()
        self._styles()

    # -- setup
    @staticmethod
    def _fonts() -> None:
        import matplotlib
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        if "DejaVu" in pdfmetrics.getRegisteredFontNames():
            return
        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
                           ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"), ("DejaVuMono", "DejaVuSansMono.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
        addMapping("DejaVu", 0, 0, "DejaVu")
        addMapping("DejaVu", 1, 0, "DejaVu-Bold")
        addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
        addMapping("DejaVu", 1, 1, "DejaVu-Bold")

    def _styles(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle

        base = ParagraphStyle("base", fontName="DejaVu", fontSize=9.5, leading=13, textColor=colors.HexColor("#222222"))
        self.s = {
            "body": base,
            "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
            "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
            "cellb": ParagraphStyle("cellb", parent=base, fontSize=8, leading=10, fontName="DejaVu-Bold"),
            "cellr": ParagraphStyle("cellr", parent=base, fontSize=8, leading=10, alignment=2),
            "cellbr": ParagraphStyle("cellbr", parent=base, fontSize=8, leading=10, fontName="DejaVu-Bold",
                                     alignment=2),
            "mono": ParagraphStyle("mono", parent=base, fontName="DejaVuMono", fontSize=6.8, leading=8.4),
            "h1": ParagraphStyle("h1", parent=base, fontName="DejaVu-Bold", fontSize=17, leading=22, spaceAfter=8,
                                 textColor=colors.HexColor("#1f3b57")),
            "h2": ParagraphStyle("h2", parent=base, fontName="DejaVu-Bold", fontSize=12, leading=16, spaceBefore=8,
                                 spaceAfter=4, textColor=colors.HexColor("#1f3b57")),
            "h3": ParagraphStyle("h3", parent=base, fontName="DejaVu-Bold", fontSize=10, leading=13, spaceBefore=6,
                                 spaceAfter=3),
            "title": ParagraphStyle("title", parent=base, fontName="DejaVu-Bold", fontSize=26, leading=32,
                                    textColor=colors.HexColor("#1f3b57")),
            "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=15, leading=20,
                                       textColor=colors.HexColor("#35556f")),
            "caption": ParagraphStyle("caption", parent=base, fontSize=7.5, leading=9.5,
                                      textColor=colors.HexColor("#555555")),
        }

    # -- helpers
    def p(self, text: str, style: str = "body"):
        from reportlab.platypus import Paragraph
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), self.s[style])

    def img(self, key: str, width: float, max_height: float | None = None):
        import io

        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        data = self.figures[key]
        w, h = ImageReader(io.BytesIO(data)).getSize()
        height = width * h / w
        if max_height and height > max_height:
            width, height = max_height * w / h, max_height
        return Image(io.BytesIO(data), width=width, height=height)

    def table(self, header, rows, widths, *, mark_col: int | None = None, marks=(), style_extra=(), right=()):
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        cell = lambda c, j: c if not isinstance(c, (str, int, float)) else self.p(c, "cellr" if j in right else "cell")
        data = [[self.p(h, "cellbr" if j in right else "cellb") for j, h in enumerate(header)]] + [
            [cell(c, j) for j, c in enumerate(r)] for r in rows]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        st = [("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b9c3cc")),
              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3ebf2")),
              ("VALIGN", (0, 0), (-1, -1), "TOP"),
              ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
              ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
        if mark_col is not None:
            for i, color in enumerate(marks, start=1):
                st.append(("BACKGROUND", (mark_col, i), (mark_col, i), colors.HexColor(color)))
        t.setStyle(TableStyle(st + list(style_extra)))
        return t

    def mark(self, key: str):
        from reportlab.platypus import Flowable

        builder = self

        class _Mark(Flowable):
            def wrap(self, aw, ah):
                return 0, 0

            def draw(self):
                builder.pages[key] = self.canv.getPageNumber()

        return _Mark()

    # -- page decoration
    def _decorate(self, canvas, doc) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4

        self.last_page = max(self.last_page, canvas.getPageNumber())
        if canvas.getPageNumber() == 1:
            return
        w, h = A4
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#b9c3cc"))
        canvas.setLineWidth(0.5)
        canvas.line(18 * 2.83465, h - 14 * 2.83465, w - 18 * 2.83465, h - 14 * 2.83465)
        canvas.setFont("DejaVu", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(18 * 2.83465, h - 12 * 2.83465, self.ctx["title"])
        canvas.drawRightString(w - 18 * 2.83465, h - 12 * 2.83465, self.ctx["study_area"])
        canvas.drawString(18 * 2.83465, 10 * 2.83465, f"Stand {self.ctx['date']} · vertraulich: enthält "
                                                       "flurstücksbezogene Angaben")
        canvas.drawRightString(w - 18 * 2.83465, 10 * 2.83465, f"Seite {canvas.getPageNumber()}")
        canvas.restoreState()

    # -- chapters
    def title_page(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepInFrame, Spacer

        c = self.ctx
        s = c["summary"]
        rows = [[i["was"], i["datei"], i["datum"]] for i in c["inputs"]] or [["–", "–", "–"]]
        from reportlab.lib import colors
        from reportlab.platypus import HRFlowable

        story = [Spacer(1, 40 * mm), HRFlowable(width="100%", thickness=5, color=colors.HexColor("#1f3b57"),
                                                spaceAfter=8 * mm, hAlign="LEFT"),
                 self.p(c["title"], "title"), Spacer(1, 6 * mm),
                 self.p(f"Untersuchungsgebiet: {c['study_area']}", "subtitle"), Spacer(1, 3 * mm),
                 self.p(f"Bericht vom {c['date']} · {s['gesamt']} untersuchte Potenzialflächen", "subtitle"),
                 *([self.p(f"Datenstand ALKIS: {c['data_date']} ({c['data_date_source']})", "subtitle")]
                   if c.get("data_date", "–") != "–" else []),
                 Spacer(1, 22 * mm), self.p("Datengrundlage", "h2"),
                 self.table(["Daten", "Datei", "Stand"], rows, [85 * mm, 55 * mm, 30 * mm]),
                 Spacer(1, 12 * mm),
                 self.p("Vertraulich. Der Bericht enthält flurstücksbezogene Angaben und ist für die Beratung in "
                        "Verwaltung und Gremien bestimmt. Eine Veröffentlichung setzt eine datenschutzrechtliche "
                        "Prüfung voraus (Eigentümerrechte, Vertraulichkeit).", "small"),
                 Spacer(1, 4 * mm),
                 self.p("Die Einstufungen sind ein Ergebnis der ersten Prüfung nach städtebaulichen und "
                        "ökologischen Kriterien. Sie ersetzen weder die Prüfung im Einzelfall noch ein "
                        "Bebauungsplanverfahren.", "small")]
        return [KeepInFrame(174 * mm, 250 * mm, story, mode="shrink"), self.mark("_title_end")]

    def summary(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Spacer

        s = self.ctx["summary"]
        story = [PageBreak(), self.p("1 Zusammenfassung", "h1"), self.p(s["satz"])]
        if s["potenzial"]:
            story += [Spacer(1, 1.5 * mm), self.p(s["potenzial"])]
        story.append(Spacer(1, 3 * mm))
        rows = [["", r["klasse"], str(r["anzahl"]), r["anteil"], str(r["vorlaeufig"])] for r in s["klassen"]]
        rows.append(["", "insgesamt", str(s["gesamt"]), "100 %" if s["gesamt"] else "–", str(s["gesamt"])])
        story.append(self.table(["", "Klasse", "Anzahl", "Anteil", "vorläufig"], rows,
                                [6 * mm, 60 * mm, 25 * mm, 25 * mm, 25 * mm],
                                right=(2, 3, 4), mark_col=0, marks=[r["farbe"] for r in s["klassen"]]))
        if s.get("vorlaeufig"):
            story += [Spacer(1, 1.5 * mm), self.p(s["vorlaeufig"], "small")]
        story += [Spacer(1, 2 * mm), self.img("classes", 150 * mm)]
        kl = s["klassennamen"]
        crit_rows = [[r["titel"] + (f" ({r['hinweis']})" if r["hinweis"] else ""), str(r["entscheidend"])]
                     + [str(v) for v in r["klassen"]] for r in s["kriterien"]]
        story.append(KeepTogether([
            self.p("Entscheidende Kriterien", "h2"),
            self.p("Wie oft ein Kriterium die Gesamtklasse bestimmt hat, und wie es die Flächen für sich "
                   "eingestuft hat. Eine Fläche kann an mehreren Kriterien scheitern.", "small"), Spacer(1, 2 * mm),
            self.table(["Kriterium", "entscheidend"] + list(kl), crit_rows,
                       [40 * mm, 26 * mm] + [108 * mm / max(len(kl), 1)] * len(kl),
                       right=tuple(range(1, 2 + len(kl))))]))
        f = s["flurstuecke"]
        acc = [[r["grund"], str(r["anzahl"])] for r in f["gruende"]]
        story.append(KeepTogether([
            self.p("Flurstücke", "h2"),
            self.p(f"{f['gesamt']} Flurstücke wurden geprüft; {f['kandidat']} liegen in einer Potenzialfläche, "
                   f"{f['ausgeschlossen']} wurden ausgeschlossen. Gründe des Ausschlusses:"), Spacer(1, 2 * mm),
            self.table(["Grund", "Flurstücke"], acc or [["–", "0"]], [140 * mm, 30 * mm], right=(1,))]))
        return story

    def overview(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import PageBreak

        return [PageBreak(), self.p("2 Übersichtskarte", "h1"),
                self.img("overview", 174 * mm, 215 * mm),
                self.p("Potenzialflächen nach Gesamtklasse; die Zahlen sind die Nummern der Steckbriefe. "
                       "Hintergrund: Flurstücke, Gebäude und Verkehrsflächen aus ALKIS.", "caption")]

    def method(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Spacer

        m = self.ctx["method"]
        story = [PageBreak(), self.p("3 Methode", "h1"),
                 self.p("Alle Flurstücke im Untersuchungsgebiet werden geprüft. Hinter der faktischen hinteren "
                        "Baulinie jeder Straße wird nach Flächen gesucht, auf denen ein weiteres Gebäude Platz hat "
                        "(Bauen in zweiter Reihe). Jede Fläche wird anschließend nach den unten genannten Kriterien "
                        "eingestuft. Alle Werte stammen aus der Konfiguration dieses Laufs."),
                 self.p("3.1 Ableitung der Potenzialflächen", "h2")]
        widths = [78 * mm, 28 * mm, 68 * mm]
        story.append(self.table(["Parameter", "Wert", "Quelle"],
                                [[r["beschreibung"], r["wert"], r["quelle"]] for r in m["kandidaten"]], widths))
        story.append(self.p("3.2 Kriterien", "h2"))
        for i, k in enumerate(m["kriterien"], start=1):
            head = [self.p(f"3.2.{i} {k['titel']}" + (" (nur informativ)" if k["informativ"] else ""), "h3"),
                    self.p(k["beschreibung"] or "–", "small"),
                    self.p(f"Daten: {k['eingaben']}", "small"), Spacer(1, 1.5 * mm)]
            rows = [[r["beschreibung"], r["wert"], r["quelle"]] for r in k["parameter"]]
            story.append(KeepTogether(head + [self.table(["Parameter", "Wert", "Quelle"], rows or [["–", "–", "–"]],
                                                         widths)]))
        story += [self.p("3.3 Bewertungsregel", "h2"), self.p(m["regel"])]
        return story

    def statistics(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak

        story = [PageBreak(), self.p("4 Kennwerte je Kriterium", "h1"),
                 self.p("Verteilung des maßgeblichen Kennwerts über alle Flächen, gestapelt nach der Klasse des "
                        "Kriteriums; gestrichelt die Schwellenwerte der Konfiguration.")]
        for st in self.ctx["statistics"]:
            unit = f" ({st['einheit']})" if st["einheit"] else ""
            line = (f"{st['messgroesse']}{unit}: {st['n']} Flächen gemessen"
                    + (f", {st['fehlend']} ohne Wert" if st["fehlend"] else "")
                    + f"; Minimum {st['min']}, Median {st['median']}, Maximum {st['max']}.")
            story.append(KeepTogether([self.p(st["titel"], "h2"), self.p(line, "small"),
                                       self.img(f"hist:{st['name']}", 165 * mm)]))
        return story

    def decisions(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import PageBreak

        from reportlab.platypus import KeepTogether

        d = self.ctx["entscheidung"]
        story = [PageBreak(), self.p("5 Entscheidungshilfen", "h1"), self.p(DECISION_INTRO)]
        if d["hebel"]:
            story.append(self.p(d["texte"]["hebel"]))
        if d["sensitivitaet"]:
            story += [self.p("5.1 Empfindlichkeit der Schwellen", "h2"), self.p(SENSITIVITY_TEXT, "small"),
                      self.img("tornado", 165 * mm, 110 * mm)]
            rows = [[r["schwelle"], str(r["tiefer"]), str(r["hoeher"])] for r in d["sensitivitaet"]]
            story.append(self.table(["Schwelle (Basiswert)", "−20 %", "+20 %"], rows, [120 * mm, 25 * mm, 25 * mm],
                                    right=(1, 2)))
        if d["szenarien"]:
            rows = [[r["name"]] + r["werte"] for r in d["szenarien"]]
            cols = d["szenario_spalten"]
            w = 150 / max(len(cols), 1)
            story.append(KeepTogether([self.p("5.2 Szenarien", "h2"), self.p(SCENARIO_TEXT, "small"),
                                       self.table(["Szenario"] + cols, rows, [24 * mm] + [w * mm] * len(cols),
                                                  right=tuple(range(1, len(cols) + 1)))]))
        return story

    def sheet(self, s: dict, n_total: int) -> list:
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepInFrame, PageBreak, Spacer, Table, TableStyle

        badge = Table([[self.p(s["klasse"], "cellb")]], colWidths=[42 * mm], hAlign="RIGHT")
        badge.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(s["farbe"])),
                                   ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        head = Table([[self.p(f"Steckbrief {s['nr']} von {n_total} · Fläche {s['id']}", "h2"), badge]],
                     colWidths=[130 * mm, 44 * mm], hAlign="LEFT")
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
        label = "Flurstück" if len(s["flurstuecke"]) == 1 else f"Flurstücke ({len(s['flurstuecke'])})"
        facts = [["Gemarkung", s["gemarkung"]], [label, parcels_by_flur(s["flurstuecke"])], ["Größe", s["flaeche"]],
                 ["Straße", s["strasse"]], ["Gesamtklasse", s["klasse"]], ["Entscheidend", s["entscheidend"]]]
        if s["nicht_bewertet"]:
            facts.append(["Nicht bewertet", s["nicht_bewertet"]])
        if s.get("vorlaeufig"):
            facts.append(["Vorläufig", s["vorlaeufig"]])
        if s.get("beteiligung"):
            facts.append(["Beteiligung", s["beteiligung"]])
        ft = Table([[self.p(a, "cellb"), self.p(b, "cell")] for a, b in facts], colWidths=[27 * mm, 57 * mm],
                   hAlign="LEFT")
        ft.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#d5dde4"))]))
        top = Table([[self.img(f"sheet:{s['id']}", 86 * mm), ft]], colWidths=[88 * mm, 86 * mm], hAlign="LEFT")
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
        crit_rows = [["", c["titel"], c["klasse"], c["wert"], c["grund"]] for c in s["kriterien"]]
        crit = self.table(["", "Kriterium", "Klasse", "Kennwert", "Begründung"], crit_rows,
                          [5 * mm, 35 * mm, 27 * mm, 22 * mm, 85 * mm], mark_col=0, right=(3,),
                          marks=[c["farbe"] for c in s["kriterien"]])
        notes = Table([[self.p("Notizen (Eigentümergespräch, Ortsbesichtigung, nächste Schritte):", "caption")]],
                      colWidths=[174 * mm], rowHeights=[45 * mm], hAlign="LEFT")
        notes.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#7d8b97")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        body = [head, Spacer(1, 2 * mm), top]
        if s["hinweise"]:
            body += [self.p("Planungsrechtliche Hinweise", "h3")] + [self.p("• " + h, "small") for h in s["hinweise"]]
        body += [self.p("Kriterien", "h3"), crit, self.p("Ergebnis", "h3"), self.p(s["zusammenfassung"] or "–")]
        if s["hebel"]:
            body += [self.p("Was müsste sich ändern?", "h3")] + [self.p("• " + h, "small") for h in s["hebel"]]
        body += [Spacer(1, 4 * mm), notes]
        return [PageBreak(), self.mark(f"sheet:{s['id']}"), KeepInFrame(174 * mm, 252 * mm, body, mode="shrink")]

    def annex(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Preformatted

        c, m = self.ctx, self.ctx["annex"]
        story = [PageBreak(), self.mark("_annex"), self.p("Anhang", "h1"),
                 self.p("A.1 Datenquellen und Lizenzen", "h2")]
        rows = [[i["was"], i["datei"], i["datum"], i["quelle"]] for i in c["inputs"]] or [["–", "–", "–", "–"]]
        story += [self.table(["Daten", "Datei", "Stand", "Herkunft / Nutzungsbedingungen"], rows,
                             [62 * mm, 38 * mm, 20 * mm, 54 * mm]),
                  self.p("Die Nutzungs- und Lizenzbedingungen der Datenabgeber gelten; Quellenvermerke bei "
                         "Weitergabe übernehmen. Die Auswertung erfolgte mit der freien Software nachverdichtung "
                         "(MIT-Lizenz).", "small"),
                  self.p("A.2 Laufprotokoll", "h2"),
                  self.p(f"Gestartet: {m['gestartet']} · Konfigurationsdatei: {m['konfigurationsdatei']}", "small")]
        soft = [[r["name"], r["version"]] for r in m["software"]]
        story.append(KeepTogether([self.p("Software", "h3"), self.table(["Paket", "Version"], soft or [["–", "–"]],
                                                                         [60 * mm, 40 * mm])]))
        hashes = [[i["name"], i["pfad"], i["sha256"]] for i in c["inputs"]]
        if hashes:
            story += [self.p("Prüfsummen der Eingabedateien (SHA-256)", "h3"),
                      self.table(["Eingabe", "Pfad", "SHA-256"],
                                 [[a, self.p(b, "mono"), self.p(h, "mono")] for a, b, h in hashes],
                                 [30 * mm, 60 * mm, 84 * mm])]
        times = [[r["schritt"], r["sekunden"]] for r in m["zeiten"]] + [[r["was"], r["wert"]] for r in m["anzahl"]]
        if times:
            story.append(KeepTogether([self.p("Laufzeiten und Anzahlen", "h3"),
                                       self.table(["Schritt / Größe", "Wert"], times, [60 * mm, 40 * mm])]))
        if m["protokoll"]:
            story += [self.p("Hinweise beim Einlesen", "h3")] + [self.p("• " + t, "small") for t in m["protokoll"]]
        from reportlab.platypus.flowables import BalancedColumns

        story += [self.p("A.3 Effektive Konfiguration", "h2"),
                  self.p("So wurde dieser Lauf ausgeführt; mit dieser Datei lässt er sich wiederholen.", "small"),
                  BalancedColumns([Preformatted(m["konfiguration"] or "–", self.s["mono"])], nCols=2,
                                  spaceBefore=2 * mm)]
        return story

    def build(self, path: Path) -> dict:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

        doc = BaseDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                              bottomMargin=16 * mm, title=f"{self.ctx['title']} – {self.ctx['study_area']}",
                              author="nachverdichtung", subject="Bauen in zweiter Reihe", lang="de-DE")
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="main", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])
        n = len(self.ctx["areas"])
        story = self.title_page() + self.summary() + self.overview() + self.method() + self.statistics()
        story += self.decisions()
        for s in self.ctx["areas"]:
            story += self.sheet(s, n)
        story += self.annex()
        from reportlab import rl_config

        # binary (not ASCII85) image streams: valid PDF, smaller, and much faster without rl_accel
        old = rl_config.useA85
        rl_config.useA85 = 0
        try:
            doc.build(story)
        finally:
            rl_config.useA85 = old
        sheets = [self.pages[f"sheet:{s['id']}"] for s in self.ctx["areas"]]
        return {"seiten": self.last_page, "steckbrief_seiten": sheets, "feste_seiten": self.last_page - len(sheets)}
