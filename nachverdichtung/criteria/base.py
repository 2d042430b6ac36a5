"""The criterion contract and small helpers every criterion uses.

A criterion is a module that registers one pure function::

    @register(name="topographie", title="Topographie", params=TopographyParams, inputs=("dem",))
    def evaluate(candidates, layers, params) -> pandas.DataFrame: ...

The returned frame is indexed like ``candidates`` and holds

* ``<name>_<measure>`` columns with the unit in the name (``_m``, ``_pct``, ``_m2``, ``_anzahl`` …),
* ``<name>_klasse``: one of :data:`KLASSEN`,
* ``<name>_grund``: a short German sentence naming the value and the threshold.

A criterion never modifies its inputs and returns "nicht bewertet" (with the reason) for every area
whose data is missing; it never lets missing data pass.

How the class depends on the measures (the rule protocol)
---------------------------------------------------------
A criterion splits its work into *measuring* (geometry, rasters: slow) and *classifying* (numpy on
the measures: fast) and declares the second part, so that counterfactuals, threshold sensitivity
and scenarios re-use the criterion's own rule instead of re-implementing it::

    @register(name=..., params=..., rules=RULES, classify=classify, rating_params=("bedingt_ab_pct", ...))

* ``classify(measures, params) -> ndarray`` takes a frame of the criterion's measures *without*
  prefix (``breite_m``, ``laenge_m`` …) and returns the class per area; ``evaluate`` calls it on
  the measures it just computed, so the stored measures always reproduce the stored class.
* ``rules`` is a tuple of :class:`Rule`: one threshold test each (measure, comparison, parameter or
  fixed value, the class it leads to, and what an owner or the city can do about it; an empty
  ``hebel`` declares "cannot be changed", e.g. slope or a nature reserve).
* ``rating_params`` names the parameters that enter *only* ``classify``; changing them can be
  re-rated from stored measures. Every other parameter changes the measurement and needs the
  geometry again (scenarios then re-run that criterion; sensitivity skips it).

A criterion without ``classify`` still works everywhere; it simply offers no levers and is never
re-rated (its class stays as measured).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..sindex import query

__all__ = [
    "KLASSEN", "GEEIGNET", "BEDINGT", "NICHT", "UNBEWERTET", "RANK", "Criterion", "REGISTRY", "register",
    "result_frame", "not_rated", "fmt", "classify", "query_pairs", "Rule", "rule_class", "step_class",
    "UNCLEAR", "honour_unclear", "apply_unusable", "not_understood", "BandStats", "band_stats",
]

GEEIGNET = "geeignet"
BEDINGT = "bedingt geeignet"
NICHT = "nicht geeignet"
UNBEWERTET = "nicht bewertet"
KLASSEN = (GEEIGNET, BEDINGT, NICHT, UNBEWERTET)
#: Order used to find the worst class; "nicht bewertet" is handled separately by the rating.
RANK = {GEEIGNET: 0, BEDINGT: 1, NICHT: 2, UNBEWERTET: -1}

_OPS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}


@dataclass(frozen=True)
class Rule:
    """One threshold test of a criterion: where ``measure op threshold`` holds, the area is at most ``klasse``.

    Attributes
    ----------
    measure
        Measure column without the criterion prefix; ``{name}`` parts are filled from the parameters
        (``"neigung_{kennwert}_pct"`` with ``kennwert: p90`` → ``neigung_p90_pct``).
    op
        ``">"``, ``">="``, ``"<"`` or ``"<="``: the comparison that makes the area worse.
    klasse
        :data:`BEDINGT` or :data:`NICHT`.
    param
        Parameter holding the threshold; empty for a fixed ``value`` (e.g. "more than 0 protected trees").
    value
        The fixed threshold when ``param`` is empty.
    at_least
        Lower bound applied to the parameter value (e.g. 1e-9 so that ``>= 0`` still means "some").
    step
        Resolution of the measure (0.01 m, 0.1 %, 1 tree): the smallest passing value of a ``>=``
        rule is ``threshold − step``, of a ``<=`` rule ``threshold + step``.
    digits, unit
        How values are written in sentences.
    wenn
        German condition clause with ``{target}``, ``{value}``, ``{delta}``, ``{threshold}``, e.g.
        ``"die Zufahrt {target} statt {value} breit ist"``.
    hebel
        Who can bring the change about and how (``"Baulast über ein Nachbarflurstück"``); empty:
        the owner and the city cannot change it (slope, nature reserve).
    """

    measure: str
    op: str
    klasse: str
    param: str = ""
    value: float = 0.0
    at_least: float = -math.inf
    step: float = 0.0
    digits: int = 1
    unit: str = ""
    wenn: str = ""
    hebel: str = ""

    def column(self, params) -> str:
        """The measure column for these parameters."""
        return self.measure.format(**{k: getattr(params, k) for k in _fields(params)}) \
            if "{" in self.measure else self.measure

    def threshold(self, params) -> float:
        """The threshold value under ``params``."""
        t = float(getattr(params, self.param)) if self.param else float(self.value)
        return max(t, self.at_least)

    def hits(self, measures: pd.DataFrame, params) -> np.ndarray:
        """True where the rule makes the area worse (NaN never hits)."""
        v = pd.to_numeric(measures[self.column(params)], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return _OPS[self.op](v, self.threshold(params)) & ~np.isnan(v)

    def passing_value(self, params) -> float:
        """The measured value closest to the threshold that passes the rule."""
        t = self.threshold(params)
        return {">": t, ">=": t - self.step, "<": t, "<=": t + self.step}[self.op]

    def passing_threshold(self, values) -> np.ndarray:
        """Per value, the threshold closest to the values that lets it pass."""
        v = np.asarray(values, dtype=float)
        return {">": v, ">=": v + self.step, "<": v, "<=": v - self.step}[self.op]


def _fields(params) -> list[str]:
    return [f.name for f in dataclasses.fields(params)]


def rule_class(measures: pd.DataFrame, rules: Sequence[Rule], params) -> np.ndarray:
    """The worst class of the rules that hit (geeignet where none does).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = (Rule("x", ">", BEDINGT, value=10), Rule("x", ">", NICHT, value=20))
    >>> rule_class(pd.DataFrame({"x": [5, 15, 25]}), r, SimpleNamespace()).tolist()
    ['geeignet', 'bedingt geeignet', 'nicht geeignet']
    """
    n = len(measures)
    out = np.full(n, GEEIGNET, dtype=object)
    for level in (BEDINGT, NICHT):
        for rule in rules:
            if rule.klasse == level:
                out[rule.hits(measures, params)] = level
    return out


def step_class(klasse) -> np.ndarray:
    """The class one step better (nicht → bedingt → geeignet); other classes stay."""
    k = np.asarray(klasse, dtype=object)
    return np.select([k == NICHT, k == BEDINGT], [BEDINGT, GEEIGNET], k).astype(object)


@dataclass(frozen=True)
class Criterion:
    """A registered criterion.

    Attributes
    ----------
    name
        Column prefix and config key, lower-case German without umlauts (``erschliessung``).
    title
        Display name (``Erschließung``).
    params_type
        Frozen dataclass of its parameters (fields built with :func:`nachverdichtung.params.param`).
    evaluate
        ``evaluate(candidates, layers, params) -> DataFrame``.
    inputs
        Names of the optional layers it needs (for documentation and the report).
    summary
        One German sentence: what it measures.
    key_measure
        The measure column (without prefix) shown as "the value" in maps and fact sheets.
    rules
        The threshold rules behind the class (:class:`Rule`), for counterfactuals and sensitivity.
    classify
        ``classify(measures, params) -> ndarray`` of classes from unprefixed measures, or ``None``.
    rating_params
        Parameters that enter only ``classify`` (re-ratable from stored measures).
    stages
        Whether ``evaluate`` also takes ``stages=``, the
        :class:`~nachverdichtung.candidates.CandidateResult` of the areas (streets, blocks, building
        depths), to use what the candidate stage built instead of deriving it again.
    """

    name: str
    title: str
    params_type: type
    evaluate: Callable
    inputs: tuple[str, ...] = ()
    summary: str = ""
    key_measure: str = ""
    rules: tuple[Rule, ...] = ()
    classify: Callable | None = None
    rating_params: tuple[str, ...] = ()
    stages: bool = False

    def measures(self, frame: pd.DataFrame) -> pd.DataFrame:
        """This criterion's columns of an assessment frame, without the prefix."""
        p = f"{self.name}_"
        cols = [c for c in frame.columns if c.startswith(p)]
        return frame[cols].rename(columns=lambda c: c[len(p):])

    def __call__(self, candidates, layers, params=None, *, stages=None) -> pd.DataFrame:
        params = params if params is not None else self.params_type()
        if self.stages:
            return self.evaluate(candidates, layers, params, stages=stages)
        return self.evaluate(candidates, layers, params)


REGISTRY: dict[str, Criterion] = {}


def register(*, name: str, title: str, params: type, inputs: tuple[str, ...] = (), summary: str = "",
             key_measure: str = "", rules: tuple[Rule, ...] = (), classify: Callable | None = None,
             rating_params: tuple[str, ...] = (), stages: bool = False) -> Callable:
    """Decorator that registers an ``evaluate`` function as a criterion (see the module docstring)."""

    def deco(func: Callable) -> Callable:
        if name in REGISTRY:
            raise RuntimeError(f"criterion {name!r} registered twice")
        REGISTRY[name] = Criterion(name=name, title=title, params_type=params, evaluate=func, inputs=inputs,
                                   summary=summary, key_measure=key_measure, rules=tuple(rules),
                                   classify=None if classify is None else _honouring(classify),
                                   rating_params=tuple(rating_params), stages=stages)
        return func

    return deco


def _honouring(classify: Callable) -> Callable:
    """``classify`` followed by :func:`honour_unclear` (data not understood is never re-rated into a pass)."""
    def wrapped(measures, params):
        return honour_unclear(classify(measures, params), measures)
    wrapped.__doc__ = classify.__doc__
    return wrapped


def result_frame(index: pd.Index, name: str, measures: Mapping[str, object], klasse, grund) -> pd.DataFrame:
    """Assemble a criterion's output frame with the naming convention.

    Examples
    --------
    >>> result_frame(pd.Index(["a"]), "x", {"wert_m": [1.0]}, ["geeignet"], ["ok"]).columns.tolist()
    ['x_wert_m', 'x_klasse', 'x_grund']
    """
    data = {f"{name}_{k}": np.asarray(v) if not isinstance(v, pd.Series) else v.to_numpy() for k, v in measures.items()}
    data[f"{name}_klasse"] = np.asarray(klasse, dtype=object)
    data[f"{name}_grund"] = np.asarray(grund, dtype=object)
    return pd.DataFrame(data, index=index)


def not_rated(index: pd.Index, name: str, reason: str, measures: Sequence[str] = ()) -> pd.DataFrame:
    """All areas "nicht bewertet" with one reason (e.g. a missing layer); measures are NaN."""
    n = len(index)
    return result_frame(index, name, {m: np.full(n, np.nan) for m in measures},
                        np.full(n, UNBEWERTET, dtype=object), np.full(n, reason, dtype=object))


def fmt(value: float, digits: int = 1, unit: str = "") -> str:
    """Format a number the German way (decimal comma, thin grouping), with an optional unit.

    Examples
    --------
    >>> fmt(2.44, 1, "m")
    '2,4 m'
    >>> fmt(12345.6, 0, "m²")
    '12.346 m²'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{digits}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return f"{text} {unit}".strip()


def classify(values, bedingt_ab: float, nicht_ab: float, *, higher_is_worse: bool = True) -> np.ndarray:
    """Three-class thresholding; NaN gives "nicht bewertet".

    With ``higher_is_worse`` a value ``> bedingt_ab`` is bedingt and ``> nicht_ab`` is nicht geeignet;
    otherwise a value ``< bedingt_ab`` is bedingt and ``< nicht_ab`` nicht geeignet.

    Examples
    --------
    >>> classify([5, 15, 25, float("nan")], 10, 20).tolist()
    ['geeignet', 'bedingt geeignet', 'nicht geeignet', 'nicht bewertet']
    """
    v = np.asarray(values, dtype=float)
    if higher_is_worse:
        conds = [np.isnan(v), v > nicht_ab, v > bedingt_ab]
    else:
        conds = [np.isnan(v), v < nicht_ab, v < bedingt_ab]
    return np.select(conds, [UNBEWERTET, NICHT, BEDINGT], GEEIGNET).astype(object)


def query_pairs(items: np.ndarray, geoms: np.ndarray, predicate: str, distance: float | None = None):
    """(geometry index, item index) pairs of an STRtree query over ``items``, sorted
    (:func:`~nachverdichtung.sindex.query`); empty int arrays when either is empty."""
    if len(items) == 0 or len(geoms) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    kw = {"distance": distance} if distance is not None else {}
    a, b = query(shapely.STRtree(items), geoms, predicate=predicate, **kw)
    return a.astype(np.int64), b.astype(np.int64)


#: Measure column (without prefix) holding why an area's data was not understood; '' where it was.
UNCLEAR = "ungeklaert"


def honour_unclear(klasse, measures) -> np.ndarray:
    """"nicht bewertet" where the ``ungeklaert`` measure names data that was not understood.

    A "nicht geeignet" decided by understood data stays. Every criterion's ``classify`` passes
    through this (see :func:`register`), so re-rating from stored measures keeps it.
    """
    k = np.asarray(klasse, dtype=object)
    if UNCLEAR not in measures:
        return k
    unclear = pd.Series(measures[UNCLEAR]).fillna("").astype(str).to_numpy() != ""
    return np.where(unclear & (k != NICHT), UNBEWERTET, k).astype(object)


def apply_unusable(frame: pd.DataFrame, name: str, inputs: Sequence[str], unusable: Mapping[str, str]) -> pd.DataFrame:
    """Make a criterion "nicht bewertet" where one of its configured inputs was unusable.

    ``unusable`` maps input names to the reason (file and field named). A criterion must not pass an
    area on a fallback when the data the user named could not be read: every area that is not
    already "nicht geeignet" becomes "nicht bewertet" with that reason (stored in the measure
    ``<name>_ungeklaert``); a "nicht geeignet" decided by other data stays and carries the reason as
    a note.
    """
    reasons = [unusable[i] for i in inputs if i in unusable]
    if not reasons or len(frame) == 0:
        return frame
    text = "; ".join(reasons)
    out = frame.copy()
    k, g, u = f"{name}_klasse", f"{name}_grund", f"{name}_{UNCLEAR}"
    before = out[u].fillna("").astype(str) if u in out else pd.Series("", index=out.index)
    out[u] = np.where(before != "", before + "; " + text, text).astype(object)
    decided = out[k].to_numpy() == NICHT
    out[k] = honour_unclear(out[k].to_numpy(), {UNCLEAR: out[u].to_numpy()})
    out[g] = np.where(decided, out[g].astype(str) + "; außerdem nicht auswertbar: " + text, text).astype(object)
    return out


def not_understood(geoms: np.ndarray, layer, *, distance: float = 0.0, min_m2: float = 0.0) -> np.ndarray:
    """Per area: the notes (``hinweis``) of the features of ``layer`` it touches that were not understood.

    ``layer`` carries ``verstanden`` / ``hinweis`` (see :mod:`nachverdichtung.io.thematic`). A
    polygon counts when it overlaps the area by at least ``min_m2`` or lies within ``distance``;
    ``''`` where every touched feature was understood.
    """
    n = len(geoms)
    out = np.full(n, "", dtype=object)
    if layer is None or "verstanden" not in layer or layer["verstanden"].all():
        return out
    bad = ~layer["verstanden"].to_numpy(dtype=bool)
    lg = np.asarray(layer.geometry.array, dtype=object)[bad]
    notes = layer["hinweis"].astype(str).to_numpy()[bad]
    if distance > 0:
        ai, li = query_pairs(lg, geoms, "dwithin", distance)
    else:
        ai, li = query_pairs(lg, geoms, "intersects")
        if len(ai) and min_m2 > 0:
            area = shapely.area(shapely.intersection(geoms[ai], lg[li]))
            poly = np.isin(shapely.get_type_id(lg[li]), (3, 6))
            keep = ~poly | (area >= min_m2)
            ai, li = ai[keep], li[keep]
    if len(ai):
        agg = pd.Series(notes[li]).groupby(ai).agg(lambda s: "; ".join(sorted(set(s))))
        out[agg.index.to_numpy(dtype=int)] = agg.to_numpy()
    return out


@dataclass(frozen=True)
class BandStats:
    """Per-area statistics of class polygons (bands) with a value ``wert`` (see :func:`band_stats`)."""

    mean: np.ndarray
    max: np.ndarray
    cover_pct: np.ndarray
    quantile: Callable[[float], np.ndarray]
    share_above: Callable[[float], np.ndarray]
    below: float
    lowest: float


def band_stats(geoms: np.ndarray, layer) -> BandStats:
    """Area-weighted statistics of band polygons over each area.

    The bands are expected not to overlap (isophone rings, depth classes). Parts of an area outside
    every band count as "below the lowest band" (value ``unter``: just below the lowest band's lower
    bound, 0 for an open bottom band) when the layer's ``ausserhalb`` is ``below``; otherwise they are
    not covered.
    Polygons not understood (``verstanden`` false) are left out; :func:`not_understood` reports them.
    """
    n = len(geoms)
    ok = layer["verstanden"].to_numpy(dtype=bool) & layer["wert"].notna().to_numpy()
    lg = np.asarray(layer.geometry.array, dtype=object)[ok]
    val = layer["wert"].to_numpy(dtype=float)[ok]
    lo = layer["lo"].to_numpy(dtype=float)[ok]
    finite = lo[np.isfinite(lo)]
    below = float(layer["unter"].min()) if len(layer) else 0.0
    lowest = float(finite.min()) if len(finite) and not np.isneginf(lo).any() else 0.0
    fill = bool(layer["ausserhalb"].isin(["below", "quiet"]).any()) if len(layer) else False
    ai, li = query_pairs(lg, geoms, "intersects")
    piece = shapely.area(shapely.intersection(geoms[ai], lg[li])) if len(ai) else np.zeros(0)
    area = np.maximum(shapely.area(geoms), 1e-12)
    covered = np.minimum(np.bincount(ai, weights=piece, minlength=n), area)
    rest = area - covered
    v = val[li]
    if fill:
        ai = np.concatenate([ai, np.arange(n)])
        v = np.concatenate([v, np.full(n, below)])
        piece = np.concatenate([piece, rest])
    keep = piece > 0
    ai, v, piece = ai[keep], v[keep], piece[keep]
    w = np.bincount(ai, weights=piece, minlength=n)
    mean = np.where(w > 0, np.bincount(ai, weights=piece * v, minlength=n) / np.maximum(w, 1e-12), np.nan)
    mx = np.full(n, -np.inf)
    np.maximum.at(mx, ai, v)
    order = np.lexsort((-v, ai))
    ai_s, v_s, p_s = ai[order], v[order], piece[order]

    def quantile(q: float) -> np.ndarray:
        """The value reached or exceeded on a share ``1 - q/100`` of the area (p90: on 10 %)."""
        out = np.full(n, np.nan)
        if len(ai_s) == 0:
            return out
        cum = np.cumsum(p_s)
        start = np.concatenate(([0.0], cum[:-1]))
        first = np.r_[True, ai_s[1:] != ai_s[:-1]]
        offset = np.maximum.accumulate(np.where(first, start, 0.0))
        share = (cum - offset) / np.maximum(w[ai_s], 1e-12)
        hit = share >= (1.0 - q / 100.0) - 1e-9
        idx = pd.Series(np.flatnonzero(hit)).groupby(ai_s[hit]).min()
        out[idx.index.to_numpy(dtype=int)] = v_s[idx.to_numpy()]
        return out

    def share_above(t: float) -> np.ndarray:
        above = np.bincount(ai, weights=piece * (v > t), minlength=n)
        return np.where(w > 0, above / np.maximum(w, 1e-12), np.nan)

    cover = np.where(fill, 100.0, 100.0 * covered / area)
    return BandStats(mean=mean, max=np.where(np.isinf(mx), np.nan, mx), cover_pct=np.round(cover, 1),
                     quantile=quantile, share_above=share_above, below=below, lowest=lowest)
