"""Baumbestand: trees protected by the municipal tree statute, crown cover and old trees.

Default statute: Kaiserslautern (1991/2001), see DOMAIN.md §2. A tree is protected when its trunk
circumference at 1 m height reaches ``umfang_min_cm`` (60 cm), or ``umfang_liste_cm`` (40 cm) for
the listed species. Species names match case-insensitively as substrings, so "Feldahorn",
"Acer campestre" and "Eibe (Taxus baccata)" are all recognised.

Decisions documented here:

* Trees without a circumference are counted (``anzahl``) but never protected by measure; their
  number is reported in ``ohne_umfang_anzahl`` and in the reason. A cadastre with a trunk
  *diameter* is converted on reading (× π, stated in the run log); a cadastre with neither field, or
  with implausible values, is not understood: areas with its trees are "nicht bewertet" (file
  named, measure ``ungeklaert``) unless the crown cover already makes them nicht geeignet.
* The 30 cm rule for characteristic groups and rows (``gruppenregel``) is off by default: whether a
  group is "characteristic" cannot be read from a tree register. When switched on, a tree counts as
  part of a group if at least ``gruppe_min_anzahl`` trees (itself included) stand within
  ``gruppe_abstand_m``.
* ``hausgarten_ausnahme`` (default off): the statute does not apply in house gardens; switching it
  on drops statute protection, while the federal rules (§ 39, § 44 BNatSchG) still apply.
* Crown cover uses every tree whose crown reaches the area (also trees standing outside it); the
  union of the crown discs is clipped to the area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..parallel import elementwise
from ..params import param
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, fmt, honour_unclear, not_rated, not_understood, query_pairs,
                   register, result_frame, rule_class)

NAME = "baeume"
MEASURES = ("anzahl", "geschuetzt_anzahl", "kronenanteil_pct", "altbaum_anzahl", "ohne_umfang_anzahl",
            "artenschutz_pruefen", "geschuetzte_arten")
SATZUNG = "Baumschutzsatzung Kaiserslautern (1991/2001)"

#: The eight species with the lower threshold, with German and botanical name fragments.
LISTED_SPECIES = ("amberbaum", "liquidambar", "tulpenbaum", "liriodendron", "maulbeer", "morus",
                  "feldahorn", "maßholder", "massholder", "acer campestre", "speierling", "sorbus domestica",
                  "weißdorn", "weissdorn", "crataegus", "stechpalme", "ilex", "eibe", "taxus")


@dataclass(frozen=True)
class TreeParams:
    """Parameters of the tree criterion (defaults: Kaiserslautern tree statute)."""

    umfang_min_cm: float = param(60.0, doc="Stammumfang in 1 m Höhe, ab dem ein Baum geschützt ist", unit="cm",
                                 source=f"{SATZUNG} [V]", min=0)
    umfang_liste_cm: float = param(40.0, doc="Stammumfang, ab dem die gelisteten Arten geschützt sind", unit="cm",
                                   source=f"{SATZUNG} [V]", min=0)
    arten_liste: tuple[str, ...] = param(LISTED_SPECIES, doc="Arten mit niedrigerer Schutzschwelle "
                                         "(Teilwörter, Groß-/Kleinschreibung egal)", source=f"{SATZUNG} [V]")
    gruppenregel: bool = param(False, doc="30-cm-Regel für Baumgruppen und -reihen anwenden (aus dem Kataster "
                               "nicht sicher ableitbar, daher aus)", source=f"{SATZUNG} [V]; Ableitung [U]")
    umfang_gruppe_cm: float = param(30.0, doc="Stammumfang, ab dem Bäume in Gruppen und Reihen geschützt sind",
                                    unit="cm", source=f"{SATZUNG} [V]", min=0)
    gruppe_abstand_m: float = param(10.0, doc="Abstand, innerhalb dessen Bäume als Gruppe gelten", unit="m",
                                    min=0,
        source="Konvention: bei Kronendurchmessern von 5–10 m berühren sich Kronen in 10 m Abstand; so nahe Bäume "
               "bilden eine Gruppe im Sinne der Satzung (Schutz ab 30 cm Stammumfang)")
    gruppe_min_anzahl: int = param(3, doc="Mindestzahl Bäume (einschließlich des Baums selbst) einer Gruppe",
                                   min=2,
        source="Konvention: die Satzung nennt keine Zahl; eine Gruppe beginnt mit drei Bäumen (zwei sind ein Paar)")
    hausgarten_ausnahme: bool = param(False, doc="Satzung gilt nicht in Haus- und Kleingärten (Schalter); "
                                      "Bundesrecht (§§ 39, 44 BNatSchG) gilt weiter", source=f"{SATZUNG} [V]")
    krone_standard_m: float = param(5.0, doc="Kronendurchmesser für Bäume ohne Angabe", unit="m", min=0,
        source="Konvention: Krone eines jungen bis mittelalten Stadtbaums; nur für Einträge ohne Kronenangabe")
    kronenanteil_nicht_ab_pct: float = param(50.0, doc="Kronenanteil an der Fläche, ab dem sie nicht geeignet ist",
                                             unit="%", min=0, max=100,
        source="Konvention: deckt die Krone mehr als die Hälfte, bleibt neben dem Wurzelbereich (Kronentraufe plus "
               "1,5 m, DIN 18920) kein Baufeld")
    altbaum_umfang_cm: float = param(250.0, doc="Stammumfang, ab dem ein Baum als Habitatbaum gilt "
                                     "(Artenschutzprüfung nach § 44 BNatSchG)", unit="cm",
                                     source="DOMAIN.md §2: alte Bäume sind Lebensstätten [U]", min=0)


_FELLING = "Eigentümer beantragt, Stadt erteilt die Fällgenehmigung nach Baumschutzsatzung"
RULES = (
    Rule("kronenanteil_pct", ">=", NICHT, "kronenanteil_nicht_ab_pct", step=0.1, digits=1, unit="%",
         wenn="Baumkronen höchstens {target} statt {value} der Fläche bedecken", hebel=_FELLING),
    Rule("geschuetzt_anzahl", ">", BEDINGT, value=0.0, step=1.0, digits=0,
         wenn="die Fällung der geschützten Bäume genehmigt wird (Anzahl: {delta})", hebel=_FELLING),
)
#: Circumference thresholds and switches decide which trees are protected (a measure): measuring.
RATING_PARAMS = ("kronenanteil_nicht_ab_pct",)


def classify(m, params: TreeParams) -> np.ndarray:
    """Class from the stored measures: the crown and protected-tree rules; no tree register → nicht bewertet."""
    count = pd.to_numeric(m["anzahl"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(count), UNBEWERTET, rule_class(m, RULES, params)).astype(object)


def _listed(art: pd.Series, patterns: tuple[str, ...]) -> np.ndarray:
    text = art.fillna("").astype(str).str.lower()
    out = np.zeros(len(text), dtype=bool)
    for p in patterns:
        out |= text.str.contains(p.lower(), regex=False).to_numpy()
    return out


def protected_mask(trees, params: TreeParams) -> np.ndarray:
    """Which trees the statute protects (NaN circumference → not protected)."""
    umfang = trees["umfang_cm"].to_numpy(dtype=float)
    threshold = np.where(_listed(trees["art"], params.arten_liste), params.umfang_liste_cm, params.umfang_min_cm)
    if params.gruppenregel and len(trees):
        pts = np.asarray(trees.geometry.array, dtype=object)
        a, _ = query_pairs(pts, pts, "dwithin", params.gruppe_abstand_m)
        in_group = np.bincount(a, minlength=len(pts)) >= params.gruppe_min_anzahl
        threshold = np.where(in_group, np.minimum(threshold, params.umfang_gruppe_cm), threshold)
    return ~np.isnan(umfang) & (umfang >= threshold)


def _trees(k: int, adjective: str) -> str:
    """'1 geschützter Baum' / '3 geschützte Bäume'."""
    return f"{k} {adjective}er Baum" if k == 1 else f"{k} {adjective}e Bäume"


def _species_texts(names: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per area the protected species in alphabetical order, with their count where > 1: ``Eiche (2), Linde``."""
    out = np.full(n, "", dtype=object)
    if not len(owner):
        return out
    art = pd.Series(names, dtype=object).fillna("unbekannte Art").astype(str).to_numpy(dtype=object)
    counts = pd.DataFrame({"flaeche": owner, "art": art}).groupby(["flaeche", "art"], sort=True).size()
    k = counts.to_numpy()
    label = counts.index.get_level_values("art").to_numpy(dtype=object)
    label = np.where(k > 1, label + " (" + k.astype(str).astype(object) + ")", label)
    joined = pd.Series(label, index=counts.index.get_level_values("flaeche")).groupby(level=0).agg(", ".join)
    out[joined.index.to_numpy(dtype=int)] = joined.to_numpy(dtype=object)
    return out


@register(name=NAME, title="Baumbestand", params=TreeParams, inputs=("trees",),
          summary="Bäume in der Fläche, davon nach Baumschutzsatzung geschützte (Standard Kaiserslautern: "
                  "Stammumfang ≥ 60 cm, ≥ 40 cm bei acht Arten), Kronenanteil und alte Habitatbäume.",
          key_measure="geschuetzt_anzahl", rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: TreeParams):
    """Rate the tree stock: crown cover ≥ 50 % → nicht geeignet; a protected tree → bedingt geeignet."""
    trees = layers.vector("trees")
    if trees is None:
        return not_rated(candidates.index, NAME, "kein Baumkataster angegeben", MEASURES)
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    pts = np.asarray(trees.geometry.array, dtype=object)
    umfang = trees["umfang_cm"].to_numpy(dtype=float)
    krone = trees["krone_m"].to_numpy(dtype=float)
    radius = np.where(np.isnan(krone) | (krone <= 0), params.krone_standard_m, krone) / 2.0
    protected = protected_mask(trees, params) & (not params.hausgarten_ausnahme)
    old = ~np.isnan(umfang) & (umfang >= params.altbaum_umfang_cm)

    ai, ti = query_pairs(pts, g, "intersects")  # trees standing in the area (boundary included)
    count = np.bincount(ai, minlength=n)
    n_prot = np.bincount(ai, weights=protected[ti], minlength=n).astype(int)
    n_old = np.bincount(ai, weights=old[ti], minlength=n).astype(int)
    n_nou = np.bincount(ai, weights=np.isnan(umfang[ti]), minlength=n).astype(int)

    # crown cover: discs of all trees within reach, unioned per area, clipped to the area
    share = np.zeros(n)
    if len(pts):
        ci, ct = query_pairs(pts, g, "dwithin", float(radius.max()))
        discs = elementwise(shapely.buffer, pts[ct], radius[ct], quad_segs=16)
        reach = shapely.intersects(discs, g[ci])
        ci, discs = ci[reach], discs[reach]
        if len(ci):
            order = np.argsort(ci, kind="stable")
            ci, discs = ci[order], discs[order]
            owners, dense = np.unique(ci, return_inverse=True)
            groups = shapely.multipolygons(discs, indices=dense)
            crowns = elementwise(shapely.make_valid, groups, method="structure", keep_collapsed=False)
            share[owners] = shapely.area(elementwise(shapely.intersection, crowns, g[owners])) / shapely.area(g[owners])
    share_pct = np.round(100.0 * share, 1)

    prot_pairs = protected[ti]
    species_text = _species_texts(trees["art"].to_numpy(dtype=object)[ti[prot_pairs]], ai[prot_pairs], n)

    measures = {
        "anzahl": count, "geschuetzt_anzahl": n_prot, "kronenanteil_pct": share_pct, "altbaum_anzahl": n_old,
        "ohne_umfang_anzahl": n_nou, "artenschutz_pruefen": n_old > 0, "geschuetzte_arten": species_text,
    }
    unknown = not_understood(g, trees)
    if (unknown != "").any():
        measures["ungeklaert"] = unknown
    klasse = honour_unclear(classify(pd.DataFrame(measures), params), measures)
    nicht = klasse == NICHT
    grund = []
    for k in range(n):
        if klasse[k] == UNBEWERTET and unknown[k]:
            grund.append(f"{count[k]} Bäume ohne verwertbaren Stammumfang: {unknown[k]}")
            continue
        if nicht[k]:
            text = (f"Baumkronen bedecken {fmt(share_pct[k], 0, '%')} der Fläche "
                    f"(≥ {fmt(params.kronenanteil_nicht_ab_pct, 0, '%')})")
        elif n_prot[k]:
            text = f"{_trees(n_prot[k], 'geschützt')} nach Baumschutzsatzung: {species_text[k]}"
        else:
            text = f"{count[k]} Bäume, keiner geschützt; Kronenanteil {fmt(share_pct[k], 0, '%')}"
            if params.hausgarten_ausnahme and count[k]:
                text += " (Satzung gilt nicht in Hausgärten)"
        if n_nou[k]:
            text += f"; {n_nou[k]} ohne Stammumfang (nicht als geschützt gewertet)"
        if n_old[k]:
            text += (f"; {_trees(n_old[k], 'alt')} (Umfang ≥ {fmt(params.altbaum_umfang_cm, 0, 'cm')}): "
                     "§ 44 BNatSchG prüfen")
        grund.append(text)
    return result_frame(candidates.index, NAME, measures, klasse, grund)
