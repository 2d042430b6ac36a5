"""Vorbild (§ 34 BauGB): is there a main building in the second row of the same street block?

An area beyond the de-facto rear building line must "fit in" (sich einfügen); case law asks for a
precedent, an existing main building behind the line in the same street block (DOMAIN.md §2).
The candidate stage already counts these per block (``block_hinterhaeuser``: main buildings deeper
than their street's rear building line plus the setback). This criterion turns the count into a
class and names the nearest precedent: the main buildings behind the line are found again with the
same functions (:func:`nachverdichtung.candidates.street_depths`, the same streets and blocks) and the
nearest one in the area's block is measured, all vectorised. The rear building line of a street is
taken from the candidates (``strasse``, ``baulinie_m``); rear houses on a street without any
candidate area are counted by the candidate stage but not used for the distance.

An area that lies within the building depth of its street (a planner area in the front zone) needs
no precedent. An area without a street block (e.g. a planner area outside the road network) is
"nicht bewertet".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..candidates import build_streets, point_in, street_blocks, street_depths
from ..sindex import nearest
from ..parallel import elementwise, tree_query
from ..params import param
from .base import BEDINGT, GEEIGNET, UNBEWERTET, Rule, fmt, not_rated, register, result_frame, rule_class
from ..io.clean import geometry_array as _arr

NAME = "vorbild"
MEASURES = ("hinterhaeuser_anzahl", "abstand_m", "tiefe_m", "baulinie_m", "im_block")
REQUIRED = ("block_id", "block_hinterhaeuser", "strasse", "baulinie_m")


@dataclass(frozen=True)
class PrecedentParams:
    """Parameters of the § 34 precedent criterion."""

    min_hinterhaeuser: int = param(1, doc="Zahl der Hauptgebäude in zweiter Reihe im Block, ab der ein Vorbild "
                                          "besteht", source="DOMAIN.md §2: § 34 BauGB, Rechtsprechung", min=1)
    setback_m: float = param(3.0, doc="Abstand hinter der Baulinie, ab dem ein Gebäude in zweiter Reihe steht "
                                      "(wie bei der Flächenableitung)", unit="m",
                             source="§ 8 LBauO RLP: 0,4 H, mindestens 3 m", min=0)
    suchradius_m: float = param(300.0, doc="Bis zu dieser Entfernung wird das nächste Vorbild gesucht", unit="m",
                                min=0,
        source="Konvention: der eigene Straßenblock und die Nachbarblöcke (Blocklänge 100–250 m); weiter entfernte "
               "Hinterhäuser gehören nicht mehr zur näheren Umgebung nach § 34 BauGB")


RULES = (
    Rule("hinterhaeuser_anzahl", "<", BEDINGT, "min_hinterhaeuser", step=1.0, digits=0,
         wenn="im Block {target} statt {value} Hauptgebäude in zweiter Reihe stehen",
         hebel="Stadt: Bebauungsplan aufstellen, der die zweite Reihe zulässt"),
)
#: The setback also selects the precedent buildings whose distance is reported: measuring.
RATING_PARAMS = ("min_hinterhaeuser",)


def classify(m, params: PrecedentParams) -> np.ndarray:
    """Class from the stored measures: outside a block → nicht bewertet; in the front zone → geeignet; else the rule."""
    in_block = m["im_block"].fillna(False).to_numpy(dtype=bool)
    depth = pd.to_numeric(m["tiefe_m"], errors="coerce").to_numpy(dtype=float)
    line = pd.to_numeric(m["baulinie_m"], errors="coerce").to_numpy(dtype=float)
    in_front = in_block & (depth <= line + params.setback_m)
    return np.select([~in_block, in_front], [UNBEWERTET, GEEIGNET], rule_class(m, RULES, params)).astype(object)


def _nearest_precedent(candidates, layers, params: PrecedentParams, block: np.ndarray, streets, stages) -> np.ndarray:
    """Distance (m) from each area to the nearest main building behind the line in its block; NaN if none."""
    n = len(candidates)
    out = np.full(n, np.nan)
    is_main = (layers.buildings["kategorie"] == "haupt").to_numpy()
    b = layers.buildings[is_main]
    if len(b) == 0 or len(layers.roads) == 0:
        return out
    blocks = stages.blocks if stages is not None else street_blocks(layers.roads, layers.parcels)
    line = _street_lines(candidates, streets)
    if stages is not None and stages.building_streets is not None:
        b_street = stages.building_streets["strasse_pos"].to_numpy()[is_main]
        b_depth = stages.building_streets["tiefe_m"].to_numpy()[is_main]
    else:
        b_street, b_depth = street_depths(b, streets)
    b_line = np.where(b_street >= 0, line[np.maximum(b_street, 0)], np.nan)
    behind = b_depth > b_line + params.setback_m  # NaN line → False
    if not behind.any():
        return out
    prec = _arr(b.geometry)[behind]
    # each block prepared once (a point query would walk a large open block once per building)
    prec_block = point_in(blocks, shapely.point_on_surface(prec))
    area = _arr(candidates.geometry)
    ai, pj = tree_query(shapely.STRtree(prec), area, predicate="dwithin", distance=params.suchradius_m)
    same = block[ai] == prec_block[pj]
    ai, pj = ai[same], pj[same]
    if len(ai):
        d = elementwise(shapely.distance, area[ai], prec[pj])
        best = np.full(n, np.inf)
        np.minimum.at(best, ai, d)
        out = np.where(np.isfinite(best), best, np.nan)
    return out


def _street_lines(candidates, streets) -> np.ndarray:
    """Rear building line of every street: as the candidate stage found it for that street.

    Streets from the candidate stage carry their own line (``baulinie_m``); otherwise the line is
    taken from the areas by street name.
    """
    if "baulinie_m" in streets:
        return np.round(streets["baulinie_m"].to_numpy(dtype=float), 1)
    known = pd.DataFrame({"strasse": candidates["strasse"].astype(str), "linie": candidates["baulinie_m"]})
    known = known[(known["strasse"] != "") & known["linie"].notna()].groupby("strasse")["linie"].first()
    return streets["name"].map(known).to_numpy(dtype=float)


def _rear_depth(candidates, streets) -> np.ndarray:
    """Largest distance of each area's corners from its nearest street (m)."""
    area = _arr(candidates.geometry)
    s = _arr(streets.geometry)
    pts = shapely.point_on_surface(area)
    ai, si, _ = nearest(shapely.STRtree(s), pts)
    street = np.full(len(area), -1)
    street[ai] = si
    coords, idx = shapely.get_coordinates(area, return_index=True)
    ok = street[idx] >= 0
    d = elementwise(shapely.distance, shapely.points(coords[ok]), s[street[idx[ok]]])
    depth = np.full(len(area), -np.inf)
    np.maximum.at(depth, idx[ok], d)
    return np.where(np.isfinite(depth), depth, np.nan)


@register(name=NAME, title="Vorbild (§ 34 BauGB)", params=PrecedentParams,
          summary="Gibt es im Straßenblock schon Hauptgebäude in zweiter Reihe (hinter der faktischen Baulinie)? "
                  "Ohne Vorbild fügt sich eine Bebauung nach § 34 BauGB meist nicht ein.",
          key_measure="hinterhaeuser_anzahl", rules=RULES, classify=classify, rating_params=RATING_PARAMS,
          stages=True)
def evaluate(candidates, layers, params: PrecedentParams, stages=None):
    """Rate the precedent: one in the block → geeignet; none → bedingt; no block → nicht bewertet.

    Needs no optional layer, but the candidate columns ``block_id``, ``block_hinterhaeuser``,
    ``strasse`` and ``baulinie_m`` (from :func:`nachverdichtung.candidates.derive_candidates`).
    ``stages`` is the :class:`~nachverdichtung.candidates.CandidateResult` the areas came from: its
    streets, blocks and building depths are used instead of being derived again.
    """
    idx = candidates.index
    n = len(candidates)
    missing = [c for c in REQUIRED if c not in candidates.columns]
    if missing:
        return not_rated(idx, NAME, "keine Angaben zu Straßenblock und Baulinie", MEASURES)
    block = pd.to_numeric(candidates["block_id"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    count = pd.to_numeric(candidates["block_hinterhaeuser"], errors="coerce").fillna(0).astype(np.int64).to_numpy()
    line = pd.to_numeric(candidates["baulinie_m"], errors="coerce").to_numpy(dtype=float)
    no_block = block < 0
    count = np.where(no_block, 0, count)
    if stages is not None:
        streets = stages.streets if n and len(layers.roads) else None
    else:
        streets = build_streets(layers.roads) if n and len(layers.roads) else None
    depth = np.round(_rear_depth(candidates, streets), 1) if streets is not None else np.full(n, np.nan)
    in_front = ~no_block & (depth <= line + params.setback_m)
    has = ~no_block & (count >= params.min_hinterhaeuser)
    dist = _nearest_precedent(candidates, layers, params, block, streets, stages) if has.any() \
        else np.full(n, np.nan)
    measures = {"hinterhaeuser_anzahl": count, "abstand_m": np.round(dist, 1), "tiefe_m": depth,
                "baulinie_m": line, "im_block": ~no_block}
    klasse = classify(pd.DataFrame(measures), params)
    grund = []
    for nb, fr, h, c, d, dp, ln in zip(no_block, in_front, has, count, dist, depth, line):
        if nb:
            grund.append("Fläche liegt in keinem Straßenblock: Vorbild nicht prüfbar")
        elif fr:
            grund.append(f"Fläche liegt innerhalb der Bebauungstiefe ({fmt(dp, 0, 'm')} ≤ Baulinie "
                         f"{fmt(ln, 0, 'm')} + {fmt(params.setback_m, 0, 'm')}): kein Vorbild nötig")
        elif h:
            what = "1 Hauptgebäude" if c == 1 else f"{c} Hauptgebäude"
            near = f", nächstes {fmt(d, 0, 'm')} entfernt" if d == d else ""
            grund.append(f"Vorbild: {what} in zweiter Reihe im Block{near}")
        elif c > 0:
            grund.append(f"nur {c} Hauptgebäude in zweiter Reihe im Block (verlangt: {params.min_hinterhaeuser})")
        else:
            grund.append("kein Vorbild in zweiter Reihe")
    return result_frame(idx, NAME, measures, klasse, grund)
