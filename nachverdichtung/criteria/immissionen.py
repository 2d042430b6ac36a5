"""Immissionen: noise in the area, from a noise map or, without one, from the distance to sources.

Sources, in order of preference (column ``immissionen_quelle``):

1. **Lärmkarte (Raster)**: ``noise_lden`` / ``noise_night`` rasters (dB(A)), mean and max inside the
   area via :func:`nachverdichtung.zonal.zonal_stats`.
2. **Lärmkarte (Polygone)**: ``noise_areas`` with ``lden_db`` / ``lnight_db``; area-weighted mean
   over the part of the area the map covers, and the maximum. Parts outside every polygon are below
   the mapping threshold and are left out of the mean (the covered share is reported). The bands
   are expected not to overlap (isophone rings, as noise mapping delivers them); nested bands
   would be blended into the mean.
   **Lärmkarte (Isophonen-Bänder)**: ``noise_lden`` / ``noise_night`` given as band polygons
   ("55-60", "≥ 75", separate layers per index): each band counts just below its upper bound
   (conservative), parts outside every band just below the lowest band (stated in the reason); see
   :func:`nachverdichtung.criteria.base.band_stats`.
3. **Ersatzwert (Abstand)**: no noise map. Distance to railways (``railways`` layer and land use
   ``bahn``), industrial/commercial land use (``gewerbe``) and, if named in ``hauptstrassen``, main
   roads (ALKIS does not classify roads, so none are assumed by default). Closer than
   ``abstand_bedingt_m`` (25 m) → bedingt geeignet; otherwise geeignet, flagged as an estimate.

Classes on the mean (``kennwert``): L_DEN ≥ 65 or L_Night ≥ 55 dB(A) → nicht geeignet
(noise mapping: health-relevant [S]); L_DEN ≥ 55 or L_Night ≥ 45 → bedingt geeignet (DIN 18005,
general residential area WA [S]). A raster covering less than ``min_abdeckung_pct`` of an area
gives "nicht bewertet" unless the covered part already decides "nicht geeignet".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..sindex import nearest
from ..params import param
from ..zonal import zonal_stats
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, band_stats, fmt, honour_unclear, not_understood,
                   query_pairs, register, result_frame, rule_class)

NAME = "immissionen"
QUELLE_RASTER = "Lärmkarte (Raster)"
QUELLE_POLY = "Lärmkarte (Polygone)"
QUELLE_BAND = "Lärmkarte (Isophonen-Bänder)"
QUELLE_ABSTAND = "Ersatzwert (Abstand)"
MEASURES = ("quelle", "lden_mittel_db", "lden_max_db", "lnight_mittel_db", "lnight_max_db", "abdeckung_pct",
            "abstand_quelle_m")


@dataclass(frozen=True)
class NoiseParams:
    """Parameters of the noise criterion."""

    lden_bedingt_ab_db: float = param(55.0, doc="L_DEN, ab dem die Fläche bedingt geeignet ist", unit="dB(A)",
                                      source="DIN 18005, Orientierungswert WA tags 55 dB(A) [S]")
    lnight_bedingt_ab_db: float = param(45.0, doc="L_Night, ab dem die Fläche bedingt geeignet ist", unit="dB(A)",
                                        source="DIN 18005, Orientierungswert WA nachts 45 dB(A) [S]")
    lden_nicht_ab_db: float = param(65.0, doc="L_DEN, ab dem die Fläche nicht geeignet ist", unit="dB(A)",
                                    source="Lärmkartierung: ab 65 dB(A) gesundheitsrelevant [S]")
    lnight_nicht_ab_db: float = param(55.0, doc="L_Night, ab dem die Fläche nicht geeignet ist", unit="dB(A)",
                                      source="Lärmkartierung: ab 55 dB(A) gesundheitsrelevant [S]")
    kennwert: str = param("mittel", doc="Welcher Pegel die Klasse bestimmt", choices=("mittel", "max"),
        source="Konvention: der flächengemittelte Pegel beschreibt das Baufeld; Zellen am Straßenrand sollen eine "
               "tiefe Gartenfläche nicht allein bestimmen (der Höchstwert ist wählbar)")
    min_abdeckung_pct: float = param(95.0, doc="Mindestanteil der Fläche, den die Lärmraster abdecken müssen",
                                     unit="%", min=0, max=100,
        source="Konvention: bis 5 % ohne Daten sind Randzellen des Rasters; größere Lücken lassen die Fläche nicht "
               "bewertet, weil fehlende Daten nie passieren lassen")
    abstand_bedingt_m: float = param(25.0, doc="Ersatzwert ohne Lärmkarte: Abstand zu Bahn, Gewerbe oder "
                                     "Hauptstraße, unter dem die Fläche bedingt geeignet ist", unit="m",
                                     source="Konvention: ohne Lärmkarte ein grober Ersatz; näher als 25 m an Bahn, "
                                            "Gewerbe oder Hauptstraße können die Pegel über den Orientierungswerten der "
                                            "DIN 18005 für WA liegen [U]", min=0)
    hauptstrassen: tuple[str, ...] = param((), doc="Namen der Hauptverkehrsstraßen für den Ersatzwert "
                                           "(ALKIS unterscheidet Straßenklassen nicht)",
        source="Konvention: ALKIS unterscheidet Straßenklassen nicht; ohne Liste gibt es keinen Ersatzwert für "
               "Straßenlärm, erst die Gemeinde benennt ihre Hauptverkehrsstraßen")


_LEVEL = ""  # the noise level at the place cannot be changed by the owner (passive protection does not lower it)
_DB = {"step": 0.1, "digits": 1, "unit": "dB(A)", "hebel": _LEVEL}
RULES = (
    Rule("lden_{kennwert}_db", ">=", BEDINGT, "lden_bedingt_ab_db", wenn="L_DEN unter {threshold} liegt ({value})", **_DB),
    Rule("lnight_{kennwert}_db", ">=", BEDINGT, "lnight_bedingt_ab_db", wenn="L_Night unter {threshold} liegt "
         "({value})", **_DB),
    Rule("lden_{kennwert}_db", ">=", NICHT, "lden_nicht_ab_db", wenn="L_DEN unter {threshold} liegt ({value})", **_DB),
    Rule("lnight_{kennwert}_db", ">=", NICHT, "lnight_nicht_ab_db", wenn="L_Night unter {threshold} liegt ({value})",
         **_DB),
    Rule("abstand_quelle_m", "<", BEDINGT, "abstand_bedingt_m", digits=0, unit="m",
         wenn="die nächste Lärmquelle mindestens {target} statt {value} entfernt ist", hebel=_LEVEL),
)
RATING_PARAMS = ("lden_bedingt_ab_db", "lnight_bedingt_ab_db", "lden_nicht_ab_db", "lnight_nicht_ab_db", "kennwert",
                 "min_abdeckung_pct", "abstand_bedingt_m")


def classify(m, params: "NoiseParams") -> np.ndarray:
    """Class from the stored levels (noise map) or the stored distance (proxy), by ``quelle``."""
    quelle = m["quelle"].astype(str).to_numpy()
    klasse = rule_class(m, RULES, params)
    lden = pd.to_numeric(m[RULES[0].column(params)], errors="coerce").to_numpy(dtype=float)
    night = pd.to_numeric(m[RULES[1].column(params)], errors="coerce").to_numpy(dtype=float)
    mapped = np.isin(quelle, (QUELLE_RASTER, QUELLE_POLY, QUELLE_BAND))
    unrated = mapped & np.isnan(lden) & np.isnan(night) & (klasse != NICHT)
    cover = pd.to_numeric(m["abdeckung_pct"], errors="coerce").to_numpy(dtype=float)
    partial = ~(cover >= params.min_abdeckung_pct) & np.isin(quelle, (QUELLE_RASTER, QUELLE_BAND)) & (klasse != NICHT)
    return np.where(unrated | partial | ~(mapped | (quelle == QUELLE_ABSTAND)), UNBEWERTET, klasse).astype(object)


def _from_polygons(g: np.ndarray, noise) -> dict[str, np.ndarray]:
    n = len(g)
    ng = np.asarray(noise.geometry.array, dtype=object)
    ai, ni = query_pairs(ng, g, "intersects")
    inter = shapely.area(shapely.intersection(g[ai], ng[ni])) if len(ai) else np.zeros(0)
    out = {}
    covered = np.bincount(ai, weights=inter, minlength=n)
    out["abdeckung_pct"] = np.minimum(100.0 * covered / np.maximum(shapely.area(g), 1e-12), 100.0)
    for col, key in (("lden_db", "lden"), ("lnight_db", "lnight")):
        v = noise[col].to_numpy(dtype=float)[ni]
        ok = ~np.isnan(v) & (inter > 0)
        wsum = np.bincount(ai[ok], weights=inter[ok], minlength=n)
        vsum = np.bincount(ai[ok], weights=inter[ok] * v[ok], minlength=n)
        out[f"{key}_mittel_db"] = np.where(wsum > 0, vsum / np.maximum(wsum, 1e-12), np.nan)
        mx = np.full(n, -np.inf)
        np.maximum.at(mx, ai[ok], v[ok])
        out[f"{key}_max_db"] = np.where(np.isinf(mx), np.nan, mx)
    return out


def _source_distance(g: np.ndarray, layers, params: NoiseParams) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distance to the nearest proxy source and its label; also which source layers were used."""
    n = len(g)
    sources, labels, used = [], [], []
    rail = layers.vector("railways")
    if rail is not None:
        sources.append(np.asarray(rail.geometry.array, dtype=object))
        labels.append(np.full(len(rail), "Bahnstrecke", dtype=object))
        used.append("Bahnstrecken")
    lu = layers.landuse
    for cls, label in (("bahn", "Bahnfläche"), ("gewerbe", "Gewerbe-/Industriefläche")):
        sel = lu["nutzung"].astype(str).to_numpy() == cls
        sources.append(np.asarray(lu.geometry.array, dtype=object)[sel])
        labels.append(np.full(int(sel.sum()), label, dtype=object))
    used.append("Nutzung Bahn/Gewerbe")
    if params.hauptstrassen:
        roads = layers.roads
        sel = roads["name"].astype(str).isin(params.hauptstrassen).to_numpy()
        sources.append(np.asarray(roads.geometry.array, dtype=object)[sel])
        labels.append(np.full(int(sel.sum()), "Hauptstraße", dtype=object))
        used.append("Hauptstraßen")
    src = np.concatenate(sources) if sources else np.zeros(0, dtype=object)
    lab = np.concatenate(labels) if labels else np.zeros(0, dtype=object)
    dist = np.full(n, np.nan)
    which = np.full(n, "", dtype=object)
    if len(src) and n:
        ai, si, _ = nearest(shapely.STRtree(src), g)
        dist[ai] = shapely.distance(g[ai], src[si])
        which[ai] = lab[si]
    return dist, which, used


def _measure(candidates, layers, m: dict) -> tuple[np.ndarray, str]:
    """Fill the level measures from rasters, isophone bands or level polygons (in this order).

    Returns the notes on features not understood per area and a note on how bands were counted.
    """
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    unknown = np.full(n, "", dtype=object)
    covers, band_note = [], ""
    for key, rname in (("lden", "noise_lden"), ("lnight", "noise_night")):
        r, bands = layers.raster(rname), layers.vector(rname)
        if r is not None:
            m["quelle"][:] = QUELLE_RASTER
            z = zonal_stats(candidates.geometry, r)
            m[f"{key}_mittel_db"], m[f"{key}_max_db"] = z["mean"].to_numpy(), z["max"].to_numpy()
            covers.append(z["abdeckung"].to_numpy() * 100.0)
        elif bands is not None:
            m["quelle"][:] = QUELLE_BAND
            st = band_stats(g, bands)
            m[f"{key}_mittel_db"], m[f"{key}_max_db"] = st.mean, st.max
            covers.append(st.cover_pct)
            extra = not_understood(g, bands)
            unknown = np.where(unknown == "", extra, np.where(extra == "", unknown, unknown + "; " + extra))
            band_note = band_note or "; Isophonen-Bänder: je Band knapp unter der Obergrenze gewertet"
            index = "L_DEN" if key == "lden" else "L_Night"
            if (bands["ausserhalb"] == "quiet").any():
                band_note += f", {index} außerhalb der Bänder als unbelastet gewertet (outside: quiet)"
            elif (bands["ausserhalb"] == "below").any():
                band_note += f", {index} außerhalb der Bänder unter {fmt(st.lowest, 0, 'dB(A)')}"
    if covers:
        m["abdeckung_pct"] = np.fmin.reduce(covers) if len(covers) > 1 else covers[0]
    else:
        m["quelle"][:] = QUELLE_POLY
        m.update(_from_polygons(g, layers.vector("noise_areas")))
        unknown = not_understood(g, layers.vector("noise_areas"))
    return unknown, band_note


@register(name=NAME, title="Immissionen", params=NoiseParams,
          inputs=("noise_lden", "noise_night", "noise_areas", "railways"),
          summary="Lärmpegel L_DEN und L_Night in der Fläche (Lärmkarte); ohne Karte Abstand zu Bahn, Gewerbe "
                  "und Hauptstraßen als Ersatzwert.", key_measure="lden_mittel_db",
          rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: NoiseParams):
    """Rate noise: L_DEN ≥ 65 / L_Night ≥ 55 → nicht geeignet; ≥ 55 / 45 → bedingt geeignet."""
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    m = {k: np.full(n, np.nan) for k in MEASURES}
    m["quelle"] = np.full(n, "", dtype=object)
    areas = layers.vector("noise_areas")
    grund = []
    names = ("noise_lden", "noise_night")
    if any(layers.raster(r) is not None or layers.vector(r) is not None for r in names) or areas is not None:
        unknown, band_note = _measure(candidates, layers, m)
        if (unknown != "").any():
            m["ungeklaert"] = unknown
        for key in ("lden_mittel_db", "lnight_mittel_db", "abdeckung_pct"):
            m[key] = np.round(m[key], 1)  # the stored values decide the class
        stat = "mittel" if params.kennwert == "mittel" else "max"
        lden, night = m[f"lden_{stat}_db"], m[f"lnight_{stat}_db"]
        klasse = honour_unclear(classify(pd.DataFrame(m), params), m)
        cover = m["abdeckung_pct"]
        label = "Mittel" if stat == "mittel" else "Maximum"
        for k in range(n):
            vals = f"L_DEN {fmt(lden[k], 0, 'dB(A)')}, L_Night {fmt(night[k], 0, 'dB(A)')} ({label}{band_note})"
            if klasse[k] == UNBEWERTET and unknown[k]:
                grund.append(unknown[k])
            elif klasse[k] == UNBEWERTET:
                grund.append(f"Lärmkarte deckt nur {fmt(cover[k], 0, '%')} der Fläche ab" if cover[k] == cover[k]
                             else "Lärmkarte deckt die Fläche nicht ab")
            elif klasse[k] == NICHT:
                grund.append(f"{vals} ≥ {fmt(params.lden_nicht_ab_db, 0)}/{fmt(params.lnight_nicht_ab_db, 0)} dB(A) "
                             "(gesundheitsrelevant)")
            elif klasse[k] == BEDINGT:
                grund.append(f"{vals} ≥ {fmt(params.lden_bedingt_ab_db, 0)}/{fmt(params.lnight_bedingt_ab_db, 0)} "
                             "dB(A) (DIN 18005, WA)")
            else:
                grund.append(f"{vals} unter {fmt(params.lden_bedingt_ab_db, 0)}/"
                             f"{fmt(params.lnight_bedingt_ab_db, 0)} dB(A)")
        return result_frame(candidates.index, NAME, m, klasse, grund)
    # no noise map: distance proxy
    m["quelle"][:] = QUELLE_ABSTAND
    dist, which, used = _source_distance(g, layers, params)
    dist = np.round(dist, 1)
    m["abstand_quelle_m"] = dist
    klasse = classify(pd.DataFrame(m), params)
    near = klasse == BEDINGT
    missing = "" if "Bahnstrecken" in used else "; Bahnstrecken nicht angegeben"
    for k in range(n):
        if near[k]:
            grund.append(f"Ersatzwert (Abstand), keine Lärmkarte: {which[k]} {fmt(dist[k], 0, 'm')} entfernt "
                         f"(< {fmt(params.abstand_bedingt_m, 0, 'm')}){missing}")
        else:
            grund.append(f"Ersatzwert (Abstand), keine Lärmkarte: keine Lärmquelle näher als "
                         f"{fmt(params.abstand_bedingt_m, 0, 'm')} ({', '.join(used)}){missing}")
    return result_frame(candidates.index, NAME, m, klasse, grund)
