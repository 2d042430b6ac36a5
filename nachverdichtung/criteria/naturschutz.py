"""Natur- und Artenschutz: protected areas and species records near the area.

Classes (DOMAIN.md §2 "Protected areas" [V]; buffers are conventions [U]):

* an exclusion category (NSG, § 30 biotope, Naturdenkmal) overlapping the area by at least
  ``min_ueberlappung_m2`` → nicht geeignet;
* an exclusion category closer than ``puffer_ausschluss_m`` (default 10 m) without overlapping it,
  or an overlapping FFH, VSG or LSG area → bedingt geeignet (preliminary assessment needed);
* a species record within ``puffer_arten_m`` (default 50 m) → bedingt geeignet, naming the species.

Measures: ``ausschluss_m2`` and ``vorpruefung_m2`` (overlap with exclusion and preliminary-assessment
categories), ``abstand_ausschluss_m`` (distance to the nearest exclusion category; empty when none
lies within ``puffer_ausschluss_m``), ``kategorien`` (the categories and names concerned),
``arten_anzahl`` and ``arten`` (species records within ``puffer_arten_m``).

Legends: category words were mapped on reading (:data:`nachverdichtung.io.classes.PROTECTED_VOCABULARY`:
"Naturschutzgebiet", "FFH-Gebiet", "§ 30 Biotop" …; a file without a category field may carry a fixed
``values: {kategorie: NSG}``); a label named in the category parameters counts as itself. An area
within ``puffer_ausschluss_m`` of a polygon whose category is unknown is "nicht bewertet" (file and
field named, measure ``ungeklaert``) unless an exclusion category already decides it.

Missing data: without the ``protected_areas`` layer an area is "nicht bewertet" unless a species
record already makes it bedingt geeignet (a known conflict is reported, but the area still
carries a note that protected areas were not checked). Without both layers everything is
"nicht bewertet". Without the ``species`` layer, areas are rated on protected areas alone and the
reason says that species records were not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..params import param
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, fmt, honour_unclear, not_rated, not_understood, query_pairs,
                   register, result_frame, rule_class)

NAME = "naturschutz"
MEASURES = ("ausschluss_m2", "abstand_ausschluss_m", "vorpruefung_m2", "kategorien", "arten_anzahl", "arten")


@dataclass(frozen=True)
class NatureParams:
    """Parameters of the nature and species protection criterion."""

    ausschluss_kategorien: tuple[str, ...] = param(
        ("NSG", "Biotop30", "Naturdenkmal", "GLB"), doc="Schutzkategorien, die eine Bebauung ausschließen",
        source="DOMAIN.md §2: NSG, § 30 BNatSchG / § 15 LNatSchG, Naturdenkmal [V]; geschützter "
               "Landschaftsbestandteil: Beseitigungsverbot § 29 Abs. 2 BNatSchG [V]")
    vorpruefung_kategorien: tuple[str, ...] = param(
        ("FFH", "VSG", "Natura2000", "LSG", "Schutzfläche", "Ausgleichsfläche", "Sicherstellung"),
        doc="Schutzkategorien, die eine Vorprüfung verlangen (bedingt geeignet)",
        source="DOMAIN.md §2: Natura 2000 (FFH, Vogelschutz), LSG [V]; ALKIS-Sammelcodes 1610/1620/1650, "
               "Ausgleichsflächen (§ 15 BNatSchG gebunden), einstweilige Sicherstellung: Konvention [U], "
               "prüfen statt durchlassen")
    min_ueberlappung_m2: float = param(1.0, doc="Mindestüberlappung, die als Betroffenheit zählt "
                                       "(gegen Digitalisierungssplitter)", unit="m²", min=0,
        source="Konvention: Überlappungen unter 1 m² sind Splitter zwischen Karten verschiedener Herkunft und "
               "Maßstäbe")
    puffer_ausschluss_m: float = param(10.0, doc="Abstand zu Ausschlusskategorien, innerhalb dessen eine Fläche "
                                       "bedingt geeignet ist", unit="m", min=0,
        source="DOMAIN.md §2: Abstand zu Schutzgebieten konfigurierbar; Konvention: 10 m sind etwa die Tiefe von "
               "Baustelle, Garten und Zufahrt, die in ein angrenzendes NSG oder Biotop wirken")
    puffer_arten_m: float = param(50.0, doc="Umkreis, in dem Artnachweise die Fläche bedingt geeignet machen",
                                  unit="m", min=0,
        source="Konvention: ein Nachweis auf dem Bauplatz oder in den Nachbargärten (50 m) kann vom Vorhaben "
               "betroffen sein und verlangt eine artenschutzrechtliche Vorprüfung (§ 44 BNatSchG), keinen "
               "Ausschluss")


RULES = (
    Rule("ausschluss_m2", ">", NICHT, value=0.0, digits=0, unit="m²",
         wenn="kein Schutzgebiet die Fläche überlagert ({value})", hebel=""),
    Rule("abstand_ausschluss_m", "<=", BEDINGT, "puffer_ausschluss_m", step=0.1, digits=0, unit="m",
         wenn="das Schutzgebiet mehr als {threshold} statt {value} entfernt ist", hebel=""),
    Rule("vorpruefung_m2", ">", BEDINGT, value=0.0, digits=0, unit="m²",
         wenn="eine Vorprüfung die Verträglichkeit bestätigt (überlagert: {value})",
         hebel="Eigentümer: Natura-2000-Vorprüfung bzw. Befreiung vom LSG bei der Naturschutzbehörde beantragen"),
    Rule("arten_anzahl", ">", BEDINGT, value=0.0, step=1.0, digits=0,
         wenn="eine artenschutzrechtliche Prüfung keinen Konflikt ergibt (Nachweise: {value})",
         hebel="Eigentümer: artenschutzrechtliche Prüfung beauftragen"),
)
#: The buffers set how far the layers are searched (the measured distance ends there): measuring.
RATING_PARAMS: tuple[str, ...] = ()


def classify(m, params: NatureParams) -> np.ndarray:
    """Class from the stored measures; without protected areas (NaN) only a species record rates (bedingt)."""
    no_prot = np.isnan(pd.to_numeric(m["ausschluss_m2"], errors="coerce").to_numpy(dtype=float))
    klasse = rule_class(m, RULES, params)
    return np.where(no_prot & (klasse != BEDINGT), UNBEWERTET, klasse).astype(object)


def _user_categories(prot, params: NatureParams):
    """Labels the configuration names as categories count as understood, under their own name."""
    if "kategorie_text" not in prot or "verstanden" not in prot:
        return prot
    own = {c.lower() for c in params.ausschluss_kategorien + params.vorpruefung_kategorien}
    raw = prot["kategorie_text"].astype(str).str.strip()
    hit = ~prot["verstanden"].to_numpy(dtype=bool) & raw.str.lower().isin(own).to_numpy()
    if not hit.any():
        return prot
    prot = prot.copy()
    prot.loc[hit, "kategorie"] = raw[hit]
    prot.loc[hit, "verstanden"] = True
    prot.loc[hit, "hinweis"] = ""
    return prot


def _join(values: pd.Series, by: np.ndarray, n: int) -> np.ndarray:
    """Sorted unique values per area, comma-separated ('' where none)."""
    out = np.full(n, "", dtype=object)
    if len(by):
        agg = pd.Series(values.to_numpy(), index=by).groupby(level=0).agg(
            lambda s: ", ".join(sorted(set(map(str, s)))))
        out[agg.index.to_numpy(dtype=int)] = agg.to_numpy()
    return out


def protected_areas(layers) -> pd.DataFrame | None:
    """Protected areas from the thematic layer and from ALKIS (``legal_nature``), with kategorie and name.

    The ALKIS ``artderfestlegung`` codes are mapped to the categories of this criterion by
    :data:`nachverdichtung.legal_codes.NATUR` (1621 → NSG, 1623 → LSG, 1651/1652 → Biotop30, …).
    An area delivered by both (same category and geometry) counts once. ``None`` when neither is available.
    """
    parts = []
    thematic = layers.vector("protected_areas")
    if thematic is not None:
        parts.append(thematic)
    legal = layers.vector("legal_nature")
    if legal is not None:
        # an ALKIS code missing from the table is data not understood: "nicht bewertet", naming it
        ok = (legal["kategorie"] != "unbekannt").to_numpy()
        code = legal["code"].astype("string").fillna("?").to_numpy(dtype=object)
        parts.append(gpd.GeoDataFrame({
            "kategorie": legal["kategorie"].to_numpy(dtype=object), "name": legal["name"].to_numpy(dtype=object),
            "kategorie_text": legal["art"].to_numpy(dtype=object), "verstanden": ok,
            "hinweis": np.where(ok, "", "ax_naturumweltoderbodenschutzrecht: artderfestlegung " + code
                                + " nicht in der Codeliste"),
        }, geometry=np.asarray(legal.geometry.array, dtype=object), crs=legal.crs))
    if not parts:
        return None
    df = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)
    if "verstanden" in df:
        df["verstanden"] = df["verstanden"].fillna(True).astype(bool)
        df["hinweis"] = df["hinweis"].fillna("").astype(str)
    # the same area delivered by both sources counts once (same category, same geometry to 1 cm)
    key = shapely.to_wkb(shapely.normalize(shapely.set_precision(np.asarray(df.geometry.array, dtype=object), 0.01)))
    dup = pd.DataFrame({"k": df["kategorie"].astype(str).to_numpy(), "g": key}).duplicated().to_numpy()
    return df[~dup].reset_index(drop=True)


@register(name=NAME, title="Natur- und Artenschutz", params=NatureParams, inputs=("protected_areas", "species"),
          summary="Überlagerung mit Schutzgebieten (NSG, § 30-Biotope, Naturdenkmale schließen aus; FFH, "
                  "Vogelschutz, LSG verlangen eine Vorprüfung) und Artnachweise im Umkreis.",
          key_measure="ausschluss_m2", rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: NatureParams):
    """Rate protected areas and species records."""
    prot = protected_areas(layers)
    species = layers.vector("species")
    if prot is None and species is None:
        return not_rated(candidates.index, NAME, "weder Schutzgebiete noch Artnachweise angegeben", MEASURES)
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    area_excl = np.full(n, np.nan)
    dist_excl = np.full(n, np.nan)
    area_pre = np.full(n, np.nan)
    cats = np.full(n, "", dtype=object)
    unknown = np.full(n, "", dtype=object)
    if prot is not None:
        prot = _user_categories(prot, params)
        unknown = not_understood(g, prot, distance=max(params.puffer_ausschluss_m, 1e-9))
        pg = np.asarray(prot.geometry.array, dtype=object)
        kat = prot["kategorie"].fillna("").astype(str).str.strip().to_numpy()
        lower = np.char.lower(kat.astype(str))
        is_excl = np.isin(lower, [c.lower() for c in params.ausschluss_kategorien])
        is_pre = np.isin(lower, [c.lower() for c in params.vorpruefung_kategorien])
        reach = max(params.puffer_ausschluss_m, 0.0)
        ai, pi = query_pairs(pg, g, "dwithin", reach)
        inter = shapely.area(shapely.intersection(g[ai], pg[pi])) if len(ai) else np.zeros(0)
        dist = shapely.distance(g[ai], pg[pi]) if len(ai) else np.zeros(0)
        hit = inter >= params.min_ueberlappung_m2
        area_excl = np.bincount(ai, weights=np.where(is_excl[pi] & hit, inter, 0.0), minlength=n)
        area_pre = np.bincount(ai, weights=np.where(is_pre[pi] & hit, inter, 0.0), minlength=n)
        d = pd.Series(np.where(is_excl[pi], dist, np.inf)).groupby(ai).min() if len(ai) else pd.Series(dtype=float)
        dist_excl = np.full(n, np.inf)
        dist_excl[d.index.to_numpy(dtype=int)] = d.to_numpy()
        dist_excl = np.where(np.isinf(dist_excl), np.nan, np.round(dist_excl, 1))  # NaN: none within reach
        relevant = (is_excl[pi] | (is_pre[pi] & hit))
        names = pd.Series(kat[pi]) + np.where(prot["name"].fillna("").astype(str).to_numpy()[pi] != "",
                                              " „" + prot["name"].fillna("").astype(str).to_numpy()[pi] + "“", "")
        cats = _join(names[relevant].reset_index(drop=True), ai[relevant], n)
    n_sp = np.full(n, np.nan)
    sp_names = np.full(n, "", dtype=object)
    if species is not None:
        sg = np.asarray(species.geometry.array, dtype=object)
        si, sj = query_pairs(sg, g, "dwithin", params.puffer_arten_m)
        n_sp = np.bincount(si, minlength=n).astype(float)
        sp_names = _join(species["art"].fillna("unbekannte Art").astype(str).iloc[sj].reset_index(drop=True), si, n)

    area_excl, area_pre = np.round(area_excl, 1), np.round(area_pre, 1)  # the stored values decide
    excl = area_excl > 0
    near = ~excl & (dist_excl <= params.puffer_ausschluss_m)
    pre = area_pre > 0
    has_sp = n_sp > 0
    measures = {"ausschluss_m2": area_excl, "abstand_ausschluss_m": dist_excl, "vorpruefung_m2": area_pre,
                "kategorien": cats, "arten_anzahl": n_sp, "arten": sp_names}
    if (unknown != "").any():
        measures["ungeklaert"] = unknown
    klasse = honour_unclear(classify(pd.DataFrame(measures), params), measures)
    grund = []
    for k in range(n):
        parts = []
        if unknown[k] and not excl[k]:
            parts.append(f"Schutzgebiet ohne erkannte Kategorie in oder nahe der Fläche: {unknown[k]}")
        elif prot is None:
            parts.append("keine Schutzgebiete angegeben")
        elif excl[k]:
            parts.append(f"Schutzgebiet in der Fläche ({fmt(area_excl[k], 0, 'm²')}): {cats[k]}")
        elif near[k]:
            parts.append(f"Schutzgebiet {fmt(dist_excl[k], 0, 'm')} entfernt "
                         f"(< {fmt(params.puffer_ausschluss_m, 0, 'm')}): {cats[k]}")
        elif pre[k]:
            parts.append(f"Vorprüfung nötig, Fläche liegt in {cats[k]}")
        else:
            parts.append("kein Schutzgebiet betroffen")
        if species is None:
            parts.append("keine Artnachweise angegeben")
        elif has_sp[k]:
            parts.append(f"Artnachweise im Umkreis von {fmt(params.puffer_arten_m, 0, 'm')}: {sp_names[k]}")
        grund.append("; ".join(parts))
    return result_frame(candidates.index, NAME, measures, klasse, grund)
