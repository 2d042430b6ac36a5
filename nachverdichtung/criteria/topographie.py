"""Topographie: slope of the terrain inside the area (Horn method, like gdaldem)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..params import param
from ..terrain import horn_slope_pct
from ..zonal import zonal_stats
from .base import BEDINGT, NICHT, UNBEWERTET, Rule, fmt, not_rated, register, result_frame, rule_class

NAME = "topographie"
MEASURES = ("neigung_mittel_pct", "neigung_p90_pct", "neigung_max_pct", "neigung_mittel_grad",
            "neigung_p90_grad", "neigung_max_grad", "hoehenunterschied_m", "abdeckung_pct")


@dataclass(frozen=True)
class TopographyParams:
    """Parameters of the slope criterion."""

    bedingt_ab_pct: float = param(10.0, doc="Neigung, ab der eine Fläche bedingt geeignet ist", unit="%",
                                  source="DOMAIN.md §2 Slope [U]: keine gesetzliche Schwelle", min=0)
    nicht_geeignet_ab_pct: float = param(20.0, doc="Neigung, ab der eine Fläche nicht geeignet ist", unit="%",
                                         source="DOMAIN.md §2 Slope [U]: keine gesetzliche Schwelle", min=0)
    kennwert: str = param("mittel", doc="Welcher Neigungswert die Klasse bestimmt",
                          choices=("mittel", "p90"),
        source="Konvention: die mittlere Neigung beschreibt das Baufeld; eine einzelne steile Böschung am Rand soll "
               "es nicht allein bestimmen (der Höchstwert ist wählbar)")
    min_abdeckung_pct: float = param(95.0, doc="Mindestanteil der Fläche, den das DGM abdecken muss", unit="%",
                                     min=0, max=100,
        source="Konvention: bis 5 % ohne Daten sind Randzellen des Rasters; größere Lücken lassen die Fläche nicht "
               "bewertet, weil fehlende Daten nie passieren lassen")


_TERRAIN = ""  # the terrain cannot be changed by the owner or the city
RULES = (
    Rule("neigung_{kennwert}_pct", ">", BEDINGT, "bedingt_ab_pct", unit="%", wenn="die Neigung höchstens "
         "{target} statt {value} beträgt", hebel=_TERRAIN),
    Rule("neigung_{kennwert}_pct", ">", NICHT, "nicht_geeignet_ab_pct", unit="%", wenn="die Neigung höchstens "
         "{target} statt {value} beträgt", hebel=_TERRAIN),
)
RATING_PARAMS = ("bedingt_ab_pct", "nicht_geeignet_ab_pct", "kennwert", "min_abdeckung_pct")


def classify(m, params: TopographyParams) -> np.ndarray:
    """Class from the stored measures: the slope rules; NaN or too little DEM coverage → nicht bewertet."""
    value = m[RULES[0].column(params)].to_numpy(dtype=float)
    klasse = np.where(np.isnan(value), UNBEWERTET, rule_class(m, RULES, params))
    partial = ~(m["abdeckung_pct"].to_numpy(dtype=float) >= params.min_abdeckung_pct)
    return np.where(partial & (klasse != NICHT), UNBEWERTET, klasse).astype(object)


def _slope_and_height(z: np.ndarray, res: tuple[float, float]) -> dict:
    return {"neigung": horn_slope_pct(z, res), "hoehe": z}


@register(name=NAME, title="Topographie", params=TopographyParams, inputs=("dem",),
          summary="Geländeneigung in der Fläche nach Horn (wie gdaldem): Mittel, 90. Perzentil, Maximum "
                  "und Höhenunterschied.", key_measure="neigung_mittel_pct",
          rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: TopographyParams):
    """Rate the slope of each area from the DEM.

    Only the raster windows of the areas are read (see :func:`nachverdichtung.zonal.zonal_stats`).
    """
    dem = layers.raster("dem")
    if dem is None:
        return not_rated(candidates.index, NAME, "kein Geländemodell (DGM) angegeben", MEASURES)
    z = zonal_stats(candidates.geometry, dem, percentiles=(90,), transform=_slope_and_height,
                    bands=("neigung", "hoehe"), halo=1)
    mean, p90, mx = z["neigung_mean"].to_numpy(), z["neigung_p90"].to_numpy(), z["neigung_max"].to_numpy()
    deg = lambda pct: np.degrees(np.arctan(pct / 100.0))
    cover = z["abdeckung"].to_numpy() * 100.0
    # slope pixels need all 8 neighbours, so coverage is judged on elevation pixels
    measures = {
        "neigung_mittel_pct": mean, "neigung_p90_pct": p90, "neigung_max_pct": mx,
        "neigung_mittel_grad": deg(mean), "neigung_p90_grad": deg(p90), "neigung_max_grad": deg(mx),
        "hoehenunterschied_m": z["hoehe_max"].to_numpy() - z["hoehe_min"].to_numpy(),
        "abdeckung_pct": cover,
    }
    value = mean if params.kennwert == "mittel" else p90
    klasse = classify(pd.DataFrame(measures), params)
    label = "mittlere Neigung" if params.kennwert == "mittel" else "Neigung (90. Perzentil)"
    grund = []
    for k, v, c in zip(klasse, value, cover):
        if k == UNBEWERTET:
            grund.append(f"DGM deckt nur {fmt(c, 0, '%')} der Fläche ab" if c == c else "DGM deckt die Fläche nicht ab")
        elif k == NICHT:
            grund.append(f"{label} {fmt(v, 1, '%')} > {fmt(params.nicht_geeignet_ab_pct, 0, '%')}")
        elif k == BEDINGT:
            grund.append(f"{label} {fmt(v, 1, '%')} > {fmt(params.bedingt_ab_pct, 0, '%')}")
        else:
            grund.append(f"{label} {fmt(v, 1, '%')} ≤ {fmt(params.bedingt_ab_pct, 0, '%')}")
    return result_frame(candidates.index, NAME, measures, klasse, grund)
