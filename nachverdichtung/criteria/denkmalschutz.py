"""Denkmalschutz: monuments, monument zones and excavation protection areas at the area.

Sources: ALKIS ``ax_denkmalschutzrecht`` (read automatically from the delivery, codes in
:data:`nachverdichtung.legal_codes.DENKMAL`) and the optional ``monuments`` layer (a monument list as
points or polygons with ``kategorie``/``art`` and ``name``).

Classes (DSchG RLP; defaults are configurable):

* overlap with a category of ``ausschluss_kategorien`` (empty by default) → nicht geeignet;
* overlap with a category of ``genehmigung_kategorien`` (Einzeldenkmal, Gartendenkmal, Denkmalzone,
  Geschützter Baubereich, Grabungsschutzgebiet, Bodendenkmal), or an Einzeldenkmal
  within ``umgebung_m`` → bedingt geeignet: building in a Denkmalzone or in the surroundings of a
  monument needs a permit (§ 13 Abs. 1 DSchG RLP), earthworks in a Grabungsschutzgebiet too
  (§ 22 DSchG RLP);
* otherwise geeignet;
* a code (or monument-list category) not in the code table touching the area → nicht bewertet, naming
  it (measure ``ungeklaert``), unless the area is already nicht geeignet.

Measures: ``ausschluss_m2`` / ``betroffen_m2`` (overlap with exclusion / permit categories), ``abstand_denkmal_m`` (nearest
Einzeldenkmal within ``umgebung_m``), ``kategorien`` (categories and names concerned), ``quelle``.

Missing data: without ``ax_denkmalschutzrecht`` in the delivery and without ``monuments`` every area is
"nicht bewertet". A delivery that holds the object type with no object near an area rates it geeignet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..legal_codes import DENKMAL, lookup
from ..params import param
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, fmt, honour_unclear, not_rated, register, result_frame,
                   rule_class)
from .overlay import joined_labels, overlay

NAME = "denkmalschutz"
MEASURES = ("ausschluss_m2", "betroffen_m2", "abstand_denkmal_m", "kategorien", "quelle")
_DSCHG = "DSchG RLP § 13 Abs. 1 (Genehmigung, auch in der Umgebung), § 22 (Grabungsschutzgebiete) [V]"


@dataclass(frozen=True)
class MonumentParams:
    """Parameters of the monument protection criterion."""

    ausschluss_kategorien: tuple[str, ...] = param(
        (), doc="Denkmalkategorien, deren Überlagerung eine Bebauung ausschließt (nicht geeignet)",
        source="Konvention: Denkmalrecht verlangt eine Genehmigung, schließt aber nicht aus")
    genehmigung_kategorien: tuple[str, ...] = param(
        ("Einzeldenkmal", "Gartendenkmal", "Denkmalzone", "Geschützter Baubereich", "Grabungsschutzgebiet",
         "Bodendenkmal"),
        doc="Denkmalkategorien, deren Überlagerung eine denkmalrechtliche Genehmigung verlangt (bedingt geeignet)",
        source=_DSCHG)
    umgebung_kategorien: tuple[str, ...] = param(
        ("Einzeldenkmal", "Gartendenkmal"), doc="Kategorien mit Umgebungsschutz (Abstand umgebung_m)",
        source=_DSCHG)
    umgebung_m: float = param(10.0, doc="Umkreis um ein Einzeldenkmal, in dem Neubau genehmigungspflichtig ist",
                              unit="m", min=0, source="Konvention [U]: das DSchG nennt keinen festen Abstand")
    min_ueberlappung_m2: float = param(1.0, doc="Mindestüberlappung, die als Betroffenheit zählt",
                                       unit="m²", min=0,
        source="Konvention: Überlappungen unter 1 m² sind Splitter zwischen Karten verschiedener Herkunft und "
               "Maßstäbe")


_PERMIT = "Eigentümer: denkmalrechtliche Genehmigung (§ 13 DSchG RLP) bei der Denkmalschutzbehörde beantragen"
RULES = (
    Rule("ausschluss_m2", ">", NICHT, value=0.0, digits=0, unit="m²",
         wenn="kein ausschließendes Denkmal die Fläche überlagert ({value})", hebel=""),
    Rule("betroffen_m2", ">", BEDINGT, value=0.0, digits=0, unit="m²",
         wenn="die Denkmalschutzbehörde den Neubau genehmigt (betroffen: {value})", hebel=_PERMIT),
    Rule("abstand_denkmal_m", "<=", BEDINGT, "umgebung_m", step=0.1, digits=0, unit="m",
         wenn="die Denkmalschutzbehörde den Neubau in der Umgebung genehmigt (Abstand {value})", hebel=_PERMIT),
)


def classify(m, params: MonumentParams) -> np.ndarray:
    """Class from the stored measures (NaN overlap: no monument data, "nicht bewertet")."""
    none = np.isnan(pd.to_numeric(m["betroffen_m2"], errors="coerce").to_numpy(dtype=float))
    return np.where(none, UNBEWERTET, rule_class(m, RULES, params)).astype(object)


def _sources(layers) -> tuple[pd.DataFrame | None, str]:
    """Monument features from ALKIS and the monument list, with kategorie, name and a source label."""
    parts, labels = [], []
    alkis = layers.vector("legal_monuments")
    if alkis is not None:
        kat = alkis["kategorie"].astype(str)
        code = alkis["code"].astype("string").fillna("?").astype(str)
        parts.append(pd.DataFrame({"kategorie": kat, "name": alkis["name"].astype(str),
                                   "hinweis": np.where(kat == "unbekannt", "ax_denkmalschutzrecht: artderfestlegung "
                                                       + code + " nicht in der Codeliste", ""),
                                   "geometry": np.asarray(alkis.geometry.array, dtype=object)}))
        labels.append("ALKIS ax_denkmalschutzrecht")
    lst = layers.vector("monuments")
    if lst is not None:
        raw = lst["kategorie"].fillna("").astype(str).str.strip()
        known = {v.lower(): v for v in {c for c, _ in DENKMAL.values()}}
        kat = raw.map(lambda v: "Einzeldenkmal" if not v else known.get(v.lower(), lookup(DENKMAL, v)[1]))
        parts.append(pd.DataFrame({"kategorie": kat, "name": lst["name"].fillna("").astype(str),
                                   "hinweis": np.where(kat == "unbekannt", "Denkmalliste: kategorie „" + raw
                                                       + "“ nicht erkannt", ""),
                                   "geometry": np.asarray(lst.geometry.array, dtype=object)}))
        labels.append("Denkmalliste")
    if not parts:
        return None, ""
    return pd.concat(parts, ignore_index=True), " + ".join(labels)


def _reason(excl: bool, perm: bool, near: bool, a_excl: float, dist: float, cats: str, source: str,
            params: MonumentParams) -> str:
    if excl:
        return f"Denkmal in der Fläche ({fmt(a_excl, 0, 'm²')}): {cats}"
    if perm:
        return f"denkmalrechtliche Genehmigung nötig (§ 13 DSchG RLP), Fläche liegt in: {cats}"
    if near:
        return (f"Neubau in der Umgebung eines Denkmals ({fmt(dist, 0, 'm')} ≤ {fmt(params.umgebung_m, 0, 'm')}) "
                f"genehmigungspflichtig (§ 13 DSchG RLP): {cats}")
    return f"kein Denkmal betroffen (laut {source})"


@register(name=NAME, title="Denkmalschutz", params=MonumentParams, inputs=("monuments",),
          summary="Kulturdenkmale, Denkmalzonen und Grabungsschutzgebiete (ALKIS ax_denkmalschutzrecht, "
                  "Denkmalliste): Bauen dort oder neben einem Denkmal braucht eine Genehmigung.",
          key_measure="betroffen_m2", rules=RULES, classify=classify)
def evaluate(candidates, layers, params: MonumentParams):
    """Rate monument protection."""
    feats, source = _sources(layers)
    if feats is None:
        return not_rated(candidates.index, NAME, "kein ALKIS-Denkmalschutzrecht, keine Denkmalliste", MEASURES)
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    kat = feats["kategorie"].to_numpy(dtype=object)
    fg = feats["geometry"].to_numpy(dtype=object)
    o = overlay(g, fg, params.umgebung_m)
    lower = np.char.lower(kat.astype(str))
    excl = np.isin(lower, [c.lower() for c in params.ausschluss_kategorien])
    perm = np.isin(lower, [c.lower() for c in params.genehmigung_kategorien])
    near_kind = np.isin(lower, [c.lower() for c in params.umgebung_kategorien])
    hit_excl = o.hits(excl, params.min_ueberlappung_m2)
    hit_perm = o.hits(perm, params.min_ueberlappung_m2)
    area_excl = o.overlap_m2(excl, params.min_ueberlappung_m2)
    area_perm = o.overlap_m2(perm & ~excl, params.min_ueberlappung_m2)
    d_near = np.round(o.nearest(near_kind), 1)  # the stored value decides
    near = d_near <= params.umgebung_m
    names = feats["name"].to_numpy(dtype=object)
    label = np.where(names != "", kat + " „" + names.astype(str) + "“", kat).astype(object)
    pair_label = label[o.feature] if len(o.feature) else np.zeros(0, dtype=object)
    relevant = hit_excl | hit_perm | (near_kind[o.feature] & (o.dist_m <= params.umgebung_m))
    cats = joined_labels(pair_label, o.area, relevant, n)
    is_excl = area_excl > 0
    is_perm = (area_perm > 0) | near
    area_excl, area_perm = np.round(area_excl, 1), np.round(area_perm, 1)
    klasse = classify(pd.DataFrame({"ausschluss_m2": area_excl, "betroffen_m2": area_perm,
                                    "abstand_denkmal_m": d_near}), params)
    unclear = feats["hinweis"].to_numpy(dtype=object) != ""
    pair_note = feats["hinweis"].to_numpy(dtype=object)[o.feature] if len(o.feature) else np.zeros(0, dtype=object)
    notes = joined_labels(pair_note, o.area, o.hits(unclear, params.min_ueberlappung_m2), n)
    grund = [_reason(is_excl[k], area_perm[k] > 0, near[k], area_excl[k], d_near[k], cats[k], source, params)
             for k in range(n)]  # string assembly only
    measures = {"ausschluss_m2": area_excl, "betroffen_m2": area_perm, "abstand_denkmal_m": d_near,
                "kategorien": cats, "quelle": np.full(n, source, dtype=object)}
    if (notes != "").any():  # codes not understood: never a pass ("nicht bewertet", naming them)
        measures["ungeklaert"] = notes
        klasse = honour_unclear(klasse, measures)
        grund = [f"Denkmalfestlegung nicht erkannt: {t}" + (f"; {g}" if k == NICHT else "") if t else g
                 for t, g, k in zip(notes, grund, klasse)]
    return result_frame(candidates.index, NAME, measures, klasse, grund)
