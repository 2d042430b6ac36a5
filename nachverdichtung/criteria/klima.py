"""Klimaverträglichkeit: overlap with cold-air corridors, cold-air formation and overheating areas.

The climate function map (e.g. the Kaiserslautern Stadtklimaanalyse 2024, VDI 3787 planning advice
map) is a polygon layer whose legend words (``funktion``) were mapped on reading
(:data:`nachverdichtung.io.classes.CLIMATE_VOCABULARY`: VDI 3787 Klimatope, "Ventilationsbahn",
"Überwärmungsgebiet" …, tolerant of case, umlauts, hyphens and plurals; ``classes`` in the config adds
words) to ``kaltluftleitbahn``, ``kaltluftentstehung``, ``ueberwaermung`` or ``neutral``. An area
touched (≥ ``min_ueberlappung_m2``) by a polygon whose word maps to nothing is "nicht bewertet" with
the file and field named (measure ``ungeklaert``), unless a corridor already makes it nicht geeignet. The pieces of one function inside an area are
unioned, so overlapping polygons are not counted twice. Classes (DOMAIN.md §2 "Climate", thresholds [U]):

* share in a cold-air corridor ≥ ``leitbahn_nicht_ab_pct`` (10 %) → nicht geeignet;
* share in a cold-air formation area ≥ ``entstehung_bedingt_ab_pct`` (10 %), or in an overheating
  area ≥ ``ueberwaermung_bedingt_ab_pct`` (default 0 %, i.e. any overlap above 1 m²) → bedingt;
* otherwise geeignet. A corridor share below 10 % (but some overlap) is also bedingt.

Without the layer every area is "nicht bewertet".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..params import param
from ..sindex import query
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, fmt, honour_unclear, not_rated, not_understood, register,
                   result_frame, rule_class)

NAME = "klima"
FUNCTIONS = {"kaltluftleitbahn": "Kaltluftleitbahn", "kaltluftentstehung": "Kaltluftentstehungsgebiet",
             "ueberwaermung": "Überwärmungsgebiet"}
MEASURES = ("leitbahn_pct", "entstehung_pct", "ueberwaermung_pct")


@dataclass(frozen=True)
class ClimateParams:
    """Parameters of the climate criterion."""

    leitbahn_nicht_ab_pct: float = param(10.0, doc="Anteil in einer Kaltluftleitbahn, ab dem die Fläche nicht "
                                         "geeignet ist", unit="%", source="DOMAIN.md §2 Climate [U]", min=0, max=100)
    entstehung_bedingt_ab_pct: float = param(10.0, doc="Anteil in einem Kaltluftentstehungsgebiet, ab dem die "
                                             "Fläche bedingt geeignet ist", unit="%",
                                             source="DOMAIN.md §2 Climate [U]", min=0, max=100)
    ueberwaermung_bedingt_ab_pct: float = param(0.0, doc="Anteil in einem Überwärmungsgebiet, ab dem (darüber) "
                                                "die Fläche bedingt geeignet ist", unit="%",
                                                source="DOMAIN.md §2 Climate [U]", min=0, max=100)
    min_ueberlappung_m2: float = param(1.0, doc="Kleinere Überlappungen gelten als Digitalisierungssplitter",
                                       unit="m²", min=0,
        source="Konvention: Überlappungen unter 1 m² sind Splitter zwischen Karten verschiedener Herkunft und "
               "Maßstäbe")


_PLACE = ""  # the climate function of the place cannot be changed by the owner or the city
RULES = (
    Rule("leitbahn_pct", ">=", NICHT, "leitbahn_nicht_ab_pct", step=0.1, digits=1, unit="%",
         wenn="höchstens {target} statt {value} der Fläche in einer Kaltluftleitbahn liegen", hebel=_PLACE),
    Rule("leitbahn_pct", ">", BEDINGT, value=0.0, digits=1, unit="%",
         wenn="die Fläche keine Kaltluftleitbahn berührt ({value})", hebel=_PLACE),
    Rule("entstehung_pct", ">=", BEDINGT, "entstehung_bedingt_ab_pct", step=0.1, digits=1, unit="%",
         wenn="höchstens {target} statt {value} in einem Kaltluftentstehungsgebiet liegen", hebel=_PLACE),
    Rule("ueberwaermung_pct", ">", BEDINGT, "ueberwaermung_bedingt_ab_pct", digits=1, unit="%",
         wenn="höchstens {target} statt {value} in einem Überwärmungsgebiet liegen", hebel=_PLACE),
)
RATING_PARAMS = ("leitbahn_nicht_ab_pct", "entstehung_bedingt_ab_pct", "ueberwaermung_bedingt_ab_pct")


def classify(m, params: ClimateParams) -> np.ndarray:
    """Class from the stored shares; no climate map (NaN) → nicht bewertet."""
    lb = pd.to_numeric(m["leitbahn_pct"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(lb), UNBEWERTET, rule_class(m, RULES, params)).astype(object)


def polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygon parts of (multi)polygons and collections, with the index of the geometry they came from."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    multi = np.isin(shapely.get_type_id(parts), (6, 7))
    if multi.any():
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        idx = np.concatenate([idx[~multi], idx[multi][sidx]])
    keep = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    return parts[keep], idx[keep]


def overlap_shares(geoms: np.ndarray, layer, column: str, values, *, min_m2: float = 0.0) -> dict[str, np.ndarray]:
    """Share (0–1) of each geometry covered by ``layer`` polygons, per value of ``column``.

    Pairs come from a spatial index; the intersection pieces of one area and one value are unioned
    (one vectorised call per value), so overlapping polygons of the same value count once.
    """
    n = len(geoms)
    area = shapely.area(geoms)
    key = layer[column].fillna("").astype(str).str.strip().str.lower().to_numpy()
    lg = np.asarray(layer.geometry.array, dtype=object)
    out = {v: np.zeros(n) for v in values}
    if n == 0 or len(lg) == 0:
        return out
    ai, li = query(shapely.STRtree(lg), geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[ai], lg[li])
    for v in values:
        sel = key[li] == v
        if not sel.any():
            continue
        owners, dense = np.unique(ai[sel], return_inverse=True)
        covered = np.zeros(len(owners))
        polys, pidx = polygon_parts(pieces[sel])
        if len(polys):
            grp, dense_grp = np.unique(dense[pidx], return_inverse=True)
            order = np.argsort(dense_grp, kind="stable")
            merged = shapely.multipolygons(polys[order], indices=dense_grp[order])
            covered[grp] = shapely.area(shapely.make_valid(merged, method="structure", keep_collapsed=False))
        covered = np.where(covered < min_m2, 0.0, covered)
        out[v][owners] = np.minimum(covered / np.maximum(area[owners], 1e-12), 1.0)
    return out


@register(name=NAME, title="Klimaverträglichkeit", params=ClimateParams, inputs=("climate",),
          summary="Anteil der Fläche in Kaltluftleitbahnen, Kaltluftentstehungs- und Überwärmungsgebieten "
                  "(Klimafunktionskarte).", key_measure="leitbahn_pct",
          rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: ClimateParams):
    """Rate the climate function: cold-air corridor → nicht geeignet; formation / overheating → bedingt."""
    climate = layers.vector("climate")
    if climate is None:
        return not_rated(candidates.index, NAME, "keine Klimafunktionskarte angegeben", MEASURES)
    g = np.asarray(candidates.geometry.array, dtype=object)
    s = overlap_shares(g, climate, "funktion", FUNCTIONS, min_m2=params.min_ueberlappung_m2)
    lb, ke, uw = (np.round(100.0 * s[k], 1) for k in FUNCTIONS)
    nicht = lb >= params.leitbahn_nicht_ab_pct
    b_ke = ke >= params.entstehung_bedingt_ab_pct
    b_uw = uw > params.ueberwaermung_bedingt_ab_pct
    b_lb = lb > 0
    measures = {"leitbahn_pct": lb, "entstehung_pct": ke, "ueberwaermung_pct": uw}
    unknown = not_understood(g, climate, min_m2=params.min_ueberlappung_m2)
    if (unknown != "").any():
        measures["ungeklaert"] = unknown
    klasse = honour_unclear(classify(pd.DataFrame(measures), params), measures)
    grund = []
    for k in range(len(g)):
        if klasse[k] == UNBEWERTET and unknown[k]:
            grund.append(unknown[k])
            continue
        if nicht[k]:
            grund.append(f"{fmt(lb[k], 0, '%')} der Fläche in einer Kaltluftleitbahn "
                         f"(≥ {fmt(params.leitbahn_nicht_ab_pct, 0, '%')})")
            continue
        parts = []
        if b_lb[k]:
            parts.append(f"{fmt(lb[k], 0, '%')} in einer Kaltluftleitbahn (Rand)")
        if b_ke[k]:
            parts.append(f"{fmt(ke[k], 0, '%')} in einem Kaltluftentstehungsgebiet "
                         f"(≥ {fmt(params.entstehung_bedingt_ab_pct, 0, '%')})")
        if b_uw[k]:
            parts.append(f"{fmt(uw[k], 0, '%')} in einem Überwärmungsgebiet")
        grund.append("; ".join(parts) if parts else "keine Klimafunktion betroffen")
    return result_frame(candidates.index, NAME, measures, klasse, grund)
