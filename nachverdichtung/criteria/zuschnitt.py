"""Flächenzuschnitt: size, width and shape of the area, and how many houses fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..candidates import parcel_unions
from ..fit import count_footprints_sizes
from ..parallel import elementwise
from ..params import param
from .base import BEDINGT, GEEIGNET, NICHT, Rule, fmt, register, result_frame, rule_class

NAME = "zuschnitt"


@dataclass(frozen=True)
class PlotParams:
    """Parameters of the plot-geometry criterion."""

    footprint_width_m: float = param(10.0, doc="Breite eines typischen Baukörpers", unit="m", min=1,
                                     source="Konvention: Einfamilienhaus 10 × 12 m")
    footprint_length_m: float = param(12.0, doc="Länge eines typischen Baukörpers", unit="m", min=1,
                                      source="Konvention: Einfamilienhaus 10 × 12 m")
    min_footprint_width_m: float = param(8.0, doc="Breite des kleinsten sinnvollen Baukörpers", unit="m", min=1,
        source="Konvention: kleinstes freistehendes Wohnhaus 8 × 10 m (80 m² Grundfläche), wie "
               "bei der Flächenableitung")
    min_footprint_length_m: float = param(10.0, doc="Länge des kleinsten sinnvollen Baukörpers", unit="m", min=1,
        source="Konvention: kleinstes freistehendes Wohnhaus 8 × 10 m (80 m² Grundfläche), wie "
               "bei der Flächenableitung")
    setback_m: float = param(3.0, doc="Abstand zu Grundstücksgrenzen und zwischen neuen Gebäuden (je Seite)",
                             unit="m", source="§ 8 LBauO RLP: 0,4 H, mindestens 3 m", min=0)
    storeys: int = param(2, doc="Angenommene Geschosszahl für die Wohnungsschätzung", min=1,
        source="Konvention: zwei Geschosse wie die übliche Einfamilienhausbebauung der Umgebung (Einfügen nach § 34 "
               "BauGB); nur für die Schätzung der Wohnungen, nicht für die Klasse")
    dwelling_m2: float = param(90.0, doc="Bruttogeschossfläche je Wohnung für die Schätzung", unit="m²", min=1,
        source="Konvention: eine Wohnung mittlerer Größe: rund 72 m² Wohnfläche bei einem Verhältnis von Wohn- zu "
               "Bruttogeschossfläche von etwa 0,8")


_RECUT = "Eigentümer: Flurstücke mit dem Nachbarn zusammenlegen oder Grenzen verschieben (Umlegung)"
RULES = (
    Rule("kleine_bauplaetze_anzahl", "<", NICHT, value=1.0, step=1.0, digits=0,
         wenn="mindestens {target} statt {value} kleiner Baukörper passt", hebel=_RECUT),
    Rule("bauplaetze_anzahl", "<", BEDINGT, value=1.0, step=1.0, digits=0,
         wenn="mindestens {target} statt {value} Baukörper in Regelgröße passt", hebel=_RECUT),
)


def classify(m, params: PlotParams) -> np.ndarray:
    """Class from the stored footprint counts (every parameter changes the measurement).

    A regular footprint that fits decides geeignet even where the small-footprint count says otherwise.
    """
    full = pd.to_numeric(m["bauplaetze_anzahl"], errors="coerce").to_numpy(dtype=float)
    return np.where(full >= 1, GEEIGNET, rule_class(m, RULES, params)).astype(object)


@register(name=NAME, title="Flächenzuschnitt", params=PlotParams,
          summary="Größe, Breite und Kompaktheit der Fläche; Zahl der Baukörper (Standard 10 × 12 m), die mit "
                  "3 m Abstand zu Grenzen und Bestand passen.", key_measure="bauplaetze_anzahl",
          rules=RULES, classify=classify)
def evaluate(candidates, layers, params: PlotParams):
    """Rate the plot geometry: a typical house fits → geeignet; only a small one → bedingt; none → nicht.

    Needs only the required layers and is never "nicht bewertet": an area whose parcels are not
    listed is measured within its own outline (the setback is then kept to the area's edge).
    """
    g = np.asarray(candidates.geometry.array, dtype=object)
    area = shapely.area(g)
    perim = shapely.length(g)
    compact = np.where(perim > 0, 4 * np.pi * area / np.maximum(perim, 1e-9) ** 2, np.nan)
    width = _inscribed_diameter(g)
    parcels_union = np.asarray(parcel_unions(candidates, layers.parcels).array, dtype=object)
    missing = shapely.is_missing(parcels_union)
    parcels_union[missing] = g[missing]
    envelope = elementwise(shapely.intersection, g,
                           elementwise(shapely.buffer, parcels_union, -params.setback_m, join_style="mitre"))
    n_full, n_min = count_footprints_sizes(
        envelope, [(params.footprint_width_m, params.footprint_length_m),
                   (params.min_footprint_width_m, params.min_footprint_length_m)], gap=2 * params.setback_m)
    fp = f"{fmt(params.footprint_width_m, 0)} × {fmt(params.footprint_length_m, 0)} m"
    fpmin = f"{fmt(params.min_footprint_width_m, 0)} × {fmt(params.min_footprint_length_m, 0)} m"
    grund = np.where(
        n_full >= 1,
        [f"{k} Baukörper {fp} passen mit {fmt(params.setback_m, 0, 'm')} Abstand" for k in n_full],
        np.where(n_min >= 1, f"nur ein kleiner Baukörper {fpmin} passt, keiner mit {fp}",
                 f"kein Baukörper {fpmin} passt mit {fmt(params.setback_m, 0, 'm')} Abstand"))
    dwellings = np.floor(np.maximum(n_full, 0) * params.footprint_width_m * params.footprint_length_m
                         * params.storeys / params.dwelling_m2)
    measures = {
        "flaeche_m2": np.round(area, 1), "breite_m": np.round(width, 1), "kompaktheit": np.round(compact, 3),
        "bauplaetze_anzahl": n_full, "kleine_bauplaetze_anzahl": n_min, "wohneinheiten_schaetzung": dwellings,
    }
    klasse = classify(pd.DataFrame(measures), params)
    return result_frame(candidates.index, NAME, measures, klasse, grund)


def _inscribed_diameter(g: np.ndarray) -> np.ndarray:
    """Diameter of the largest inscribed circle (the usable width at the widest point)."""
    lines = elementwise(shapely.maximum_inscribed_circle, g, tolerance=0.1)
    return 2 * shapely.length(lines)
