"""Hochwasser: flood areas (Überschwemmungsgebiete) and flood-hazard zones at the area.

Sources: ALKIS ``ax_anderefestlegungnachwasserrecht`` / ``ax_klassifizierungnachwasserrecht``
(read automatically, codes in :data:`nachverdichtung.legal_codes.WASSER`: 1441 festgesetztes,
1440 / 1442 (natürliches) Überschwemmungsgebiet) and the optional ``flood_hazard`` layer (polygons
with a ``szenario`` such as HQhäufig, HQ100, HQextrem, or a status "festgesetzt" / "vorläufig
gesichert"). ALKIS ``ax_schutzzone`` (zones of water protection areas) is shown as a hint only.

Classes (WHG; configurable):

* overlap with a category of ``nicht_geeignet_kategorien`` → nicht geeignet: in festgesetzten and
  vorläufig gesicherten Überschwemmungsgebieten the erection of buildings is prohibited
  (§ 78 Abs. 4 WHG; § 78 Abs. 8 extends it to vorläufig gesicherte Gebiete), exceptions only by
  permit (§ 78 Abs. 5); frequent floods (HQhäufig) count the same;
* overlap with a category of ``bedingt_kategorien`` (ÜSG without status, natural flood area, HQ100
  outside a designated area, HQextrem = Risikogebiet § 78b WHG) → bedingt geeignet (flood-adapted
  building, check with the water authority);
* otherwise geeignet;
* a code or scenario not understood touching the area → nicht bewertet, naming it (measure
  ``ungeklaert``), unless the area is already nicht geeignet.

Measures: ``verbot_m2`` (overlap with the nicht-geeignet categories), ``flaeche_m2`` and ``anteil_pct``
(overlap with all deciding categories), ``gebiete``
(categories and names), ``hinweise`` (protection zones and other water-law features), ``quelle``.

Missing data: without water-law objects in the delivery and without ``flood_hazard`` every area is
"nicht bewertet".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..params import param
from .base import (BEDINGT, NICHT, UNBEWERTET, Rule, fmt, honour_unclear, not_rated, register, result_frame,
                   rule_class)
from .overlay import joined_labels, overlay

NAME = "hochwasser"
MEASURES = ("verbot_m2", "flaeche_m2", "anteil_pct", "gebiete", "hinweise", "quelle")

#: Scenario / status texts of flood-hazard layers → category (compared case- and space-insensitively).
SZENARIO = {
    "hqhaeufig": "HQhäufig", "hqhäufig": "HQhäufig", "hq5": "HQhäufig", "hq10": "HQhäufig", "hq20": "HQhäufig",
    "hq50": "HQhäufig", "hq100": "HQ100", "hqextrem": "HQextrem", "hq200": "HQextrem", "hq1000": "HQextrem",
    "festgesetzt": "ÜSG festgesetzt", "usgfestgesetzt": "ÜSG festgesetzt", "üsgfestgesetzt": "ÜSG festgesetzt",
    "vorlaeufiggesichert": "ÜSG vorläufig gesichert", "vorläufiggesichert": "ÜSG vorläufig gesichert",
}


@dataclass(frozen=True)
class FloodParams:
    """Parameters of the flood criterion."""

    nicht_geeignet_kategorien: tuple[str, ...] = param(
        ("ÜSG festgesetzt", "ÜSG vorläufig gesichert", "HQhäufig"),
        doc="Hochwasserkategorien, die eine Bebauung ausschließen (nicht geeignet)",
        source="§ 78 Abs. 4 und 8 WHG (Bauverbot im festgesetzten / vorläufig gesicherten "
               "Überschwemmungsgebiet) [V]; HQhäufig: Konvention: ein häufiges Hochwasser (etwa alle 10 bis 20 "
               "Jahre) trifft ein Haus in seiner Lebensdauer mehrmals, es zählt wie ein Überschwemmungsgebiet [U]")
    bedingt_kategorien: tuple[str, ...] = param(
        ("ÜSG", "ÜSG natürlich", "HQ100", "HQextrem"),
        doc="Hochwasserkategorien, die hochwasserangepasstes Bauen und eine Prüfung verlangen (bedingt geeignet)",
        source="§ 76 Abs. 2 WHG (HQ100 ist festzusetzen), § 78b WHG (Risikogebiete, HQextrem) [V]")
    min_ueberlappung_m2: float = param(1.0, doc="Mindestüberlappung, die als Betroffenheit zählt", unit="m²", min=0,
        source="Konvention: Überlappungen unter 1 m² sind Splitter zwischen Karten verschiedener Herkunft und "
               "Maßstäbe")


RULES = (
    Rule("verbot_m2", ">", NICHT, value=0.0, digits=0, unit="m²",
         wenn="die Fläche nicht im Überschwemmungsgebiet liegt ({value} betroffen)", hebel=""),
    Rule("flaeche_m2", ">", BEDINGT, value=0.0, digits=0, unit="m²",
         wenn="hochwasserangepasst gebaut wird ({value} betroffen)",
         hebel="Eigentümer: hochwasserangepasste Bauweise mit der Wasserbehörde abstimmen"),
)


def classify(m, params: FloodParams) -> np.ndarray:
    """Class from the stored measures (NaN: no flood data, "nicht bewertet")."""
    none = np.isnan(pd.to_numeric(m["flaeche_m2"], errors="coerce").to_numpy(dtype=float))
    return np.where(none, UNBEWERTET, rule_class(m, RULES, params)).astype(object)


def _key(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def _features(layers) -> tuple[pd.DataFrame | None, str]:
    parts, labels = [], []
    water = layers.vector("legal_water")
    if water is not None:
        kat = water["kategorie"].astype(str)
        code = water["code"].astype("string").fillna("?").astype(str)
        parts.append(pd.DataFrame({"kategorie": kat, "name": water["name"].astype(str),
                                   "hinweis": np.where(kat == "unbekannt", water["objektart"].astype(str)
                                                       + ": artderfestlegung " + code + " nicht in der Codeliste", ""),
                                   "geometry": np.asarray(water.geometry.array, dtype=object)}))
        labels.append("ALKIS Wasserrecht")
    hazard = layers.vector("flood_hazard")
    if hazard is not None:
        raw = hazard["szenario"].fillna("").astype(str)
        kat = raw.map(lambda v: SZENARIO.get(_key(v), "unbekannt"))
        parts.append(pd.DataFrame({"kategorie": kat, "name": raw,
                                   "hinweis": np.where(kat == "unbekannt", "Hochwassergefahrenkarte: szenario „" + raw
                                                       + "“ nicht erkannt", ""),
                                   "geometry": np.asarray(hazard.geometry.array, dtype=object)}))
        labels.append("Hochwassergefahrenkarte")
    if not parts:
        return None, ""
    return pd.concat(parts, ignore_index=True), " + ".join(labels)


def _hints(layers, g: np.ndarray, min_m2: float) -> np.ndarray:
    """Protection zones (ax_schutzzone) and other water-law features overlapping the area, as text."""
    frames = [f for f in (layers.vector("legal_zones"), layers.vector("legal_water")) if f is not None and len(f)]
    n = len(g)
    if not frames:
        return np.full(n, "", dtype=object)
    df = pd.concat([pd.DataFrame({"kategorie": f["kategorie"].astype(str), "art": f["art"].astype(str),
                                  "geometry": np.asarray(f.geometry.array, dtype=object)}) for f in frames],
                   ignore_index=True)
    info = ~df["kategorie"].str.startswith("ÜSG").to_numpy() & (df["kategorie"] != "unbekannt").to_numpy()
    o = overlay(g, df["geometry"].to_numpy(dtype=object))
    label = np.where(df["kategorie"].to_numpy() == df["art"].to_numpy(), df["kategorie"],
                     df["kategorie"] + " (" + df["art"] + ")").astype(object)
    return joined_labels(label[o.feature], o.area, o.hits(info, min_m2), n)


def _reason(nicht: bool, bed: bool, m2: float, gebiete: str, hints: str, source: str) -> str:
    if nicht:
        text = f"Bauverbot im Überschwemmungsgebiet (§ 78 WHG), {fmt(m2, 0, 'm²')} betroffen: {gebiete}"
    elif bed:
        text = f"hochwasserangepasst bauen, Wasserbehörde fragen (§ 78b WHG), {fmt(m2, 0, 'm²')} betroffen: {gebiete}"
    else:
        text = f"kein Überschwemmungsgebiet (laut {source})"
    return f"{text}; Hinweis: {hints}" if hints else text


@register(name=NAME, title="Hochwasser", params=FloodParams, inputs=("flood_hazard",),
          summary="Überschwemmungsgebiete (ALKIS, § 78 WHG) und Hochwassergefahrenflächen (HQ100, HQextrem); "
                  "Wasserschutzzonen als Hinweis.",
          key_measure="flaeche_m2", rules=RULES, classify=classify)
def evaluate(candidates, layers, params: FloodParams):
    """Rate flood areas."""
    feats, source = _features(layers)
    if feats is None:
        return not_rated(candidates.index, NAME, "kein ALKIS-Wasserrecht, keine Hochwasserkarte", MEASURES)
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    lower = np.char.lower(feats["kategorie"].to_numpy(dtype=str))
    nicht = np.isin(lower, [c.lower() for c in params.nicht_geeignet_kategorien])
    bed = np.isin(lower, [c.lower() for c in params.bedingt_kategorien]) & ~nicht
    o = overlay(g, feats["geometry"].to_numpy(dtype=object))
    a_nicht = o.overlap_m2(nicht, params.min_ueberlappung_m2)
    a_bed = o.overlap_m2(bed, params.min_ueberlappung_m2)
    names = feats["name"].to_numpy(dtype=object)
    kat = feats["kategorie"].to_numpy(dtype=object)
    label = np.where((names != "") & (names != kat), kat + " „" + names.astype(str) + "“", kat).astype(object)
    deciding = o.hits(nicht | bed, params.min_ueberlappung_m2)
    gebiete = joined_labels(label[o.feature], o.area, deciding, n)
    # overlap share of the union of the deciding features (not the sum: HQ100 and HQextrem nest)
    share_m2 = np.zeros(n)
    if deciding.any():
        u = pd.Series(feats["geometry"].to_numpy(dtype=object)[o.feature[deciding]]).groupby(o.area[deciding]).agg(
            lambda s: shapely.union_all(s.to_numpy()))
        pos = u.index.to_numpy(dtype=int)
        share_m2[pos] = shapely.area(shapely.intersection(g[pos], u.to_numpy(dtype=object)))
    pct = np.round(100.0 * share_m2 / np.maximum(shapely.area(g), 1e-9), 1)
    verbot = np.round(a_nicht, 1)
    klasse = classify(pd.DataFrame({"verbot_m2": verbot, "flaeche_m2": np.round(share_m2, 1)}), params)
    hints = _hints(layers, g, params.min_ueberlappung_m2)
    unclear = feats["hinweis"].to_numpy(dtype=object) != ""
    notes = joined_labels(feats["hinweis"].to_numpy(dtype=object)[o.feature], o.area,
                          o.hits(unclear, params.min_ueberlappung_m2), n)
    grund = [_reason(a_nicht[k] > 0, a_bed[k] > 0, share_m2[k], gebiete[k], hints[k], source) for k in range(n)]
    measures = {"verbot_m2": verbot, "flaeche_m2": np.round(share_m2, 1), "anteil_pct": pct, "gebiete": gebiete, "hinweise": hints,
                "quelle": np.full(n, source, dtype=object)}
    if (notes != "").any():  # codes not understood: never a pass ("nicht bewertet", naming them)
        measures["ungeklaert"] = notes
        klasse = honour_unclear(klasse, measures)
        grund = [f"Hochwasserangabe nicht erkannt: {t}" + (f"; {g}" if k == NICHT else "") if t else g
                 for t, g, k in zip(notes, grund, klasse)]
    return result_frame(candidates.index, NAME, measures, klasse, grund)
