"""Starkregenvorsorge: water depth, flow velocity and flow paths of heavy rain in the area.

Sources, in order of preference (column ``starkregen_quelle``):

1. **Starkregengefahrenkarte**: rasters ``rain_depth`` (max. water depth, m) and ``rain_velocity``
   (max. flow velocity, m/s), e.g. LfU RLP, design scenario SRI 10 1 h. Statistics via
   :func:`nachverdichtung.zonal.zonal_stats`. Classes (DOMAIN.md §2 "Heavy rain" [S/U]):
   90th percentile depth > 0.5 m or max velocity > 2 m/s → nicht geeignet; p90 depth > 0.1 m or
   max velocity > 0.5 m/s → bedingt geeignet.
   As **class polygons** ("< 10 cm", "10 - 30 cm", "> 50 cm"; ``rain_depth`` pointed at a vector
   file) the 90th percentile is the band value reached on 10 % of the area, each band just below
   its upper bound; outside every polygon is dry (:func:`_from_bands`).
2. **abgeleitet aus DGM** (no hazard map, but a DEM): sink (fill) depth and D8 upstream area from
   :mod:`nachverdichtung.hydrology`, computed on the DEM window around the areas plus ``dgm_halo_m``.
   Sink depth uses the same depth thresholds; a cell draining at least ``abfluss_bedingt_ab_m2``
   counts as a flow path (bedingt). This is a coarse screening with lower confidence: it ignores
   buildings, sewers and rain intensity, and it says so in the reason.

A ``flow_paths`` line layer, if given, is intersected with every area: a flow path crossing it by
at least ``fliessweg_min_m`` makes the area at least bedingt geeignet; its length inside is reported.
Without rasters, a crossing flow path alone still gives bedingt geeignet; otherwise the area is
"nicht bewertet". A raster that covers less than ``min_abdeckung_pct`` of an area gives
"nicht bewertet" (with the covered share) unless the covered part already decides "nicht geeignet".
Some hazard maps leave dry cells empty (NoData): with ``nodata_ist_trocken`` such cells count as
0 m / 0 m/s and the coverage is the share of the area inside the raster extent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..hydrology import sinks_and_flow
from ..io.raster import RasterSource
from ..params import param
from ..sindex import query
from ..zonal import zonal_stats
from .base import (BEDINGT, GEEIGNET, NICHT, UNBEWERTET, Rule, band_stats, fmt, honour_unclear, not_understood,
                   register, result_frame, rule_class)

NAME = "starkregen"
QUELLE_KARTE = "Starkregengefahrenkarte"
QUELLE_DGM = "abgeleitet aus DGM"
QUELLE_KLASSEN = "Starkregengefahrenkarte (Klassenpolygone)"
SOURCE = "DOMAIN.md §2 Heavy rain [S/U]"


@dataclass(frozen=True)
class RainParams:
    """Parameters of the heavy-rain criterion."""

    tiefe_bedingt_ab_m: float = param(0.10, doc="Wassertiefe (90. Perzentil), ab der (darüber) die Fläche bedingt "
                                      "geeignet ist", unit="m", source=SOURCE, min=0)
    tiefe_nicht_ab_m: float = param(0.50, doc="Wassertiefe (90. Perzentil), ab der (darüber) die Fläche nicht "
                                    "geeignet ist", unit="m", source=SOURCE, min=0)
    geschwindigkeit_bedingt_ab_ms: float = param(0.5, doc="Höchste Fließgeschwindigkeit, ab der (darüber) die "
                                                 "Fläche bedingt geeignet ist", unit="m/s", source=SOURCE, min=0)
    geschwindigkeit_nicht_ab_ms: float = param(2.0, doc="Höchste Fließgeschwindigkeit, ab der (darüber) die "
                                               "Fläche nicht geeignet ist", unit="m/s", source=SOURCE, min=0)
    fliessweg_min_m: float = param(1.0, doc="Mindestlänge eines Fließwegs in der Fläche, die zählt", unit="m",
                                   min=0,
        source="Konvention: kürzere Stücke sind Schnittreste am Flächenrand; ein Fließweg, der die Fläche quert, "
               "ist länger")
    min_abdeckung_pct: float = param(95.0, doc="Mindestanteil der Fläche, den die Raster abdecken müssen", unit="%",
                                     min=0, max=100,
        source="Konvention: bis 5 % ohne Daten sind Randzellen des Rasters; größere Lücken lassen die Fläche nicht "
               "bewertet, weil fehlende Daten nie passieren lassen")
    nodata_ist_trocken: bool = param(False, doc="NoData-Zellen innerhalb der Gefahrenkarte als trocken (0 m, 0 m/s) "
                                     "werten; für Karten, die trockene Zellen leer lassen",
        source="Konvention: fehlende Daten lassen nie passieren; nur wenn eine Karte trockene Zellen nachweislich "
               "leer lässt, schaltet die Planung es ein")
    dgm_ersatz: bool = param(True, doc="Ohne Gefahrenkarte Senken und Fließwege aus dem DGM ableiten "
                             "(geringere Aussagekraft)",
        source="DOMAIN.md §2: ohne Gefahrenkarte sind Senken und Fließwege aus dem Geländemodell ein dokumentierter "
               "Ersatz (als Ersatz gekennzeichnet)")
    abfluss_bedingt_ab_m2: float = param(2000.0, doc="Einzugsgebiet einer Zelle, ab dem sie als Fließweg gilt "
                                         "(nur DGM-Ableitung)", unit="m²", min=0,
                                         source="Konvention: ab etwa 2000 m² Einzugsgebiet (ein Block aus Dächern und "
                                                "Gärten) sammelt sich der Oberflächenabfluss zu einem Fließweg [U]")
    dgm_halo_m: float = param(100.0, doc="Rand um die Flächen, der für die DGM-Ableitung mitgelesen wird", unit="m",
                              min=0,
        source="Konvention: Wasser, das in die Fläche fließt, kommt vom Hang darüber; 100 m Rand erfassen das "
               "Einzugsgebiet eines Hinterhofs, ohne ganze Geländemodell-Kacheln zu lesen")


MEASURES = ("quelle", "tiefe_max_m", "tiefe_p90_m", "anteil_gt_10cm_pct", "anteil_gt_50cm_pct",
            "geschwindigkeit_max_ms", "senke_max_m", "senke_p90_m", "abfluss_max_m2", "fliessweg_m", "abdeckung_pct")


_DRAIN = "Eigentümer: Entwässerungs- und Überflutungskonzept, mit der Stadt abgestimmt"
_DEPTH = {"digits": 2, "unit": "m", "hebel": _DRAIN}
RULES = (
    Rule("tiefe_p90_m", ">", BEDINGT, "tiefe_bedingt_ab_m", wenn="die Wassertiefe höchstens {target} statt {value} "
         "beträgt", **_DEPTH),
    Rule("tiefe_p90_m", ">", NICHT, "tiefe_nicht_ab_m", wenn="die Wassertiefe höchstens {target} statt {value} "
         "beträgt", **_DEPTH),
    Rule("senke_p90_m", ">", BEDINGT, "tiefe_bedingt_ab_m", wenn="die Senkentiefe höchstens {target} statt {value} "
         "beträgt", **_DEPTH),
    Rule("senke_p90_m", ">", NICHT, "tiefe_nicht_ab_m", wenn="die Senkentiefe höchstens {target} statt {value} "
         "beträgt", **_DEPTH),
    Rule("geschwindigkeit_max_ms", ">", BEDINGT, "geschwindigkeit_bedingt_ab_ms", unit="m/s", hebel=_DRAIN,
         wenn="die Fließgeschwindigkeit höchstens {target} statt {value} beträgt"),
    Rule("geschwindigkeit_max_ms", ">", NICHT, "geschwindigkeit_nicht_ab_ms", unit="m/s", hebel=_DRAIN,
         wenn="die Fließgeschwindigkeit höchstens {target} statt {value} beträgt"),
    Rule("abfluss_max_m2", ">=", BEDINGT, "abfluss_bedingt_ab_m2", step=1.0, digits=0, unit="m²", hebel=_DRAIN,
         wenn="der Abflussweg sicher abgeleitet wird (Einzugsgebiet {value})"),
    Rule("fliessweg_m", ">=", BEDINGT, "fliessweg_min_m", at_least=1e-9, step=0.1, digits=1, unit="m", hebel=_DRAIN,
         wenn="der Fließweg ({value}) um die Bebauung herumgeführt wird"),
)
RATING_PARAMS = ("tiefe_bedingt_ab_m", "tiefe_nicht_ab_m", "geschwindigkeit_bedingt_ab_ms",
                 "geschwindigkeit_nicht_ab_ms", "fliessweg_min_m", "min_abdeckung_pct", "abfluss_bedingt_ab_m2")


def classify(m, params: "RainParams") -> np.ndarray:
    """Class from the stored measures: the depth, velocity, flow rules; no raster and no flow path → nicht bewertet.

    A raster that covers too little of the area gives nicht bewertet unless it already decides
    nicht geeignet; a crossing flow path makes an area without raster bedingt geeignet.
    """
    quelle = m["quelle"].astype(str).to_numpy()
    num = {c: pd.to_numeric(m[c], errors="coerce").to_numpy(dtype=float)
           for c in ("tiefe_p90_m", "senke_p90_m", "abdeckung_pct")}
    depth = np.where(quelle == QUELLE_DGM, num["senke_p90_m"], num["tiefe_p90_m"])
    klasse = np.where(np.isin(quelle, (QUELLE_KARTE, QUELLE_KLASSEN, QUELLE_DGM)) & ~np.isnan(depth),
                      rule_class(m, RULES, params), UNBEWERTET)
    has_raster = ~np.isnan(num["abdeckung_pct"])
    partial = has_raster & ~(num["abdeckung_pct"] >= params.min_abdeckung_pct)
    klasse = np.where(partial & (klasse != NICHT), UNBEWERTET, klasse)
    crossing = RULES[-1].hits(m, params)
    klasse = np.where(crossing & ((klasse == GEEIGNET) | ~has_raster), BEDINGT, klasse)
    return klasse.astype(object)


def flow_path_length(geoms: np.ndarray, lines) -> np.ndarray:
    """Length (m) of the flow-path lines inside each area."""
    out = np.zeros(len(geoms))
    if lines is None or len(lines) == 0 or len(geoms) == 0:
        return out
    lg = np.asarray(lines.geometry.array, dtype=object)
    ai, li = query(shapely.STRtree(lg), geoms, predicate="intersects")
    if len(ai):
        out += np.bincount(ai, weights=shapely.length(shapely.intersection(lg[li], geoms[ai])), minlength=len(geoms))
    return out


def _dry(values: np.ndarray, res) -> np.ndarray:
    """NoData (and outside the raster) as dry: 0 m depth, 0 m/s."""
    return np.where(np.isnan(values), 0.0, values)


def _inside_share(geoms, raster) -> np.ndarray:
    """Share (0–1) of each area inside the raster's extent (coverage when NoData means dry)."""
    import geopandas as gpd

    extent = gpd.GeoSeries([shapely.box(*raster.bounds)], crs=raster.crs)
    if geoms.crs is not None and not extent.crs.equals(geoms.crs):
        extent = extent.to_crs(geoms.crs)
    g = np.asarray(geoms.array, dtype=object)
    area = shapely.area(g)
    inside = shapely.area(shapely.intersection(g, extent.iloc[0]))
    return np.where(area > 0, inside / np.maximum(area, 1e-12), np.nan)


@register(name=NAME, title="Starkregenvorsorge", params=RainParams,
          inputs=("rain_depth", "rain_velocity", "flow_paths", "dem"),
          summary="Wassertiefe und Fließgeschwindigkeit bei Starkregen (Gefahrenkarte SRI 10, 1 h), Fließwege "
                  "durch die Fläche; ohne Karte Senken und Abflusswege aus dem DGM abgeleitet.",
          key_measure="tiefe_p90_m", rules=RULES, classify=classify, rating_params=RATING_PARAMS)
def evaluate(candidates, layers, params: RainParams):
    """Rate the heavy-rain hazard of each area."""
    g = np.asarray(candidates.geometry.array, dtype=object)
    n = len(g)
    m = {k: np.full(n, np.nan) for k in MEASURES}
    m["quelle"] = np.full(n, "", dtype=object)
    lines = layers.vector("flow_paths")
    m["fliessweg_m"] = np.round(flow_path_length(g, lines), 1) if lines is not None else np.full(n, np.nan)
    depth, velo, dem = layers.raster("rain_depth"), layers.raster("rain_velocity"), layers.raster("dem")
    reasons = [[] for _ in range(n)]
    cover = np.full(n, np.nan)
    unknown = np.full(n, "", dtype=object)
    if depth is None and layers.vector("rain_depth") is not None:
        velo_bands = layers.vector("rain_velocity")
        cover, unknown = _from_bands(candidates.geometry, layers.vector("rain_depth"),
                                     velo if velo_bands is None else velo_bands, params, m, reasons)
    elif depth is not None:
        cover = _from_raster(candidates.geometry, depth, velo, params, m, reasons)
    elif dem is not None and params.dgm_ersatz:
        m["quelle"][:] = QUELLE_DGM
        halo = int(math.ceil(params.dgm_halo_m / min(abs(dem.res[0]), abs(dem.res[1]))))
        z = zonal_stats(candidates.geometry, dem, percentiles=(90,), transform=sinks_and_flow,
                        bands=("senke", "abfluss"), halo=max(halo, 1))
        cover = z["abdeckung"].to_numpy() * 100.0
        p90 = z["senke_p90"].to_numpy()
        acc = z["abfluss_max"].to_numpy()
        m.update(senke_max_m=z["senke_max"].to_numpy(), senke_p90_m=p90, abfluss_max_m2=acc)
        _by_depth(p90, params, reasons, "Senkentiefe aus DGM (90. Perzentil)")
        flow = acc >= params.abfluss_bedingt_ab_m2
        for k in np.nonzero(flow)[0]:
            reasons[k].append(f"Abflussweg aus DGM (Einzugsgebiet {fmt(acc[k], 0, 'm²')})")
    cover = np.round(cover, 1)  # the stored coverage decides
    m["abdeckung_pct"] = cover
    has_raster = ~np.isnan(cover)
    partial = has_raster & ~(cover >= params.min_abdeckung_pct)
    # flow paths from the line layer
    crossing = m["fliessweg_m"] >= max(params.fliessweg_min_m, 1e-9)
    for k in np.nonzero(crossing)[0]:
        reasons[k].append(f"Fließweg quert die Fläche ({fmt(m['fliessweg_m'][k], 0, 'm')})")
    if (unknown != "").any():
        m["ungeklaert"] = unknown
    klasse = honour_unclear(classify(pd.DataFrame(m), params), m)
    for k in np.nonzero((unknown != "") & (klasse == UNBEWERTET))[0]:
        reasons[k].insert(0, unknown[k])
    no_data = ~has_raster & ~crossing
    grund = []
    for k in range(n):
        parts = list(reasons[k])
        if no_data[k]:
            parts = ["keine Starkregengefahrenkarte und kein DGM angegeben"]
            if lines is None:
                parts.append("keine Fließwege angegeben")
        elif not has_raster[k]:
            parts.append("keine Starkregengefahrenkarte und kein DGM angegeben")
        elif partial[k]:
            parts.insert(0, f"Raster deckt nur {fmt(cover[k], 0, '%')} der Fläche ab")
        if m["quelle"][k] == QUELLE_DGM:
            parts.append("abgeleitet aus DGM, geringere Aussagekraft (keine Gefahrenkarte)")
        grund.append("; ".join(parts))
    return result_frame(candidates.index, NAME, m, klasse, grund)


def _by_depth(p90: np.ndarray, params: RainParams, reasons: list, label: str) -> np.ndarray:
    klasse = np.select([np.isnan(p90), p90 > params.tiefe_nicht_ab_m, p90 > params.tiefe_bedingt_ab_m],
                       [UNBEWERTET, NICHT, BEDINGT], GEEIGNET).astype(object)
    for k, (c, v) in enumerate(zip(klasse, p90)):
        if c == NICHT:
            reasons[k].append(f"{label} {fmt(v, 2, 'm')} > {fmt(params.tiefe_nicht_ab_m, 2, 'm')}")
        elif c == BEDINGT:
            reasons[k].append(f"{label} {fmt(v, 2, 'm')} > {fmt(params.tiefe_bedingt_ab_m, 2, 'm')}")
        elif c == GEEIGNET:
            reasons[k].append(f"{label} {fmt(v, 2, 'm')} ≤ {fmt(params.tiefe_bedingt_ab_m, 2, 'm')}")
    return klasse


def _velocity_reasons(vmax: np.ndarray, params: RainParams, reasons: list, label: str) -> None:
    """Reasons for the velocity rules (the class itself comes from :func:`classify`)."""
    for k in np.nonzero(vmax > params.geschwindigkeit_bedingt_ab_ms)[0]:
        limit = params.geschwindigkeit_nicht_ab_ms if vmax[k] > params.geschwindigkeit_nicht_ab_ms \
            else params.geschwindigkeit_bedingt_ab_ms
        reasons[k].append(f"{label} bis {fmt(vmax[k], 1, 'm/s')} > {fmt(limit, 1, 'm/s')}")


def _from_raster(geoms, depth, velo, params: RainParams, m: dict, reasons: list) -> np.ndarray:
    """Depth and velocity from the hazard-map rasters into ``m``; returns the covered share (%)."""
    m["quelle"][:] = QUELLE_KARTE
    dry = _dry if params.nodata_ist_trocken else None
    z = zonal_stats(geoms, depth, percentiles=(90,), thresholds=(0.10, 0.50), transform=dry)
    cover = (_inside_share(geoms, depth) if dry else z["abdeckung"].to_numpy()) * 100.0
    p90 = z["p90"].to_numpy()
    m.update(tiefe_max_m=z["max"].to_numpy(), tiefe_p90_m=p90,
             anteil_gt_10cm_pct=z["anteil_gt_0.1"].to_numpy() * 100.0,
             anteil_gt_50cm_pct=z["anteil_gt_0.5"].to_numpy() * 100.0)
    _by_depth(p90, params, reasons, "Wassertiefe (90. Perzentil)")
    if velo is not None:
        vmax = zonal_stats(geoms, velo, transform=dry)["max"].to_numpy()
        m["geschwindigkeit_max_ms"] = vmax
        _velocity_reasons(vmax, params, reasons, "Fließgeschwindigkeit")
    else:
        for r in reasons:
            r.append("keine Fließgeschwindigkeit angegeben")
    return cover


def _from_bands(geoms, depth, velo, params: RainParams, m: dict, reasons: list):
    """Depth (and velocity) from class polygons into ``m``: the same statistics as from the raster.

    The 90th percentile is the band value reached on 10 % of the area (area-weighted), each band
    counted just below its upper bound (conservative); parts outside every band of a complete map
    are dry (below the lowest band). Returns the covered share (%) and the notes on polygons whose
    class was not understood.
    """
    m["quelle"][:] = QUELLE_KLASSEN
    g = np.asarray(geoms.array, dtype=object)
    st = band_stats(g, depth)
    p90 = st.quantile(90)
    m.update(tiefe_max_m=st.max, tiefe_p90_m=p90, anteil_gt_10cm_pct=100.0 * st.share_above(0.10),
             anteil_gt_50cm_pct=100.0 * st.share_above(0.50))
    _by_depth(p90, params, reasons, "Wassertiefe (Klassenpolygone, 90. Perzentil)")
    unknown = not_understood(g, depth)
    if velo is not None:
        raster = isinstance(velo, RasterSource)
        vmax = zonal_stats(geoms, velo)["max"].to_numpy() if raster else band_stats(g, velo).max
        m["geschwindigkeit_max_ms"] = vmax
        _velocity_reasons(vmax, params, reasons, "Fließgeschwindigkeit" if raster else "Fließgeschwindigkeit (Klasse)")
        more = np.full(len(g), "", dtype=object) if raster else not_understood(g, velo)
        unknown = np.where(unknown == "", more, np.where(more == "", unknown, unknown + "; " + more))
    else:
        for r in reasons:
            r.append("keine Fließgeschwindigkeit angegeben")
    if depth["ausserhalb"].isin(["below", "quiet"]).any():
        for r in reasons:
            r.append("außerhalb der Klassenpolygone als trocken gewertet")
    return st.cover_pct.astype(float), unknown
