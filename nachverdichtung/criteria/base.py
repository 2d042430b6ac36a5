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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "KLASSEN", "GEEIGNET", "BEDINGT", "NICHT", "UNBEWERTET", "RANK", "Criterion", "REGISTRY", "register",
    "result_frame", "not_rated", "fmt", "classify", "query_pairs",
]

GEEIGNET = "geeignet"
BEDINGT = "bedingt geeignet"
NICHT = "nicht geeignet"
UNBEWERTET = "nicht bewertet"
KLASSEN = (GEEIGNET, BEDINGT, NICHT, UNBEWERTET)
#: Order used to find the worst class; "nicht bewertet" is handled separately by the rating.
RANK = {GEEIGNET: 0, BEDINGT: 1, NICHT: 2, UNBEWERTET: -1}


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
    """

    name: str
    title: str
    params_type: type
    evaluate: Callable
    inputs: tuple[str, ...] = ()
    summary: str = ""
    key_measure: str = ""

    def __call__(self, candidates, layers, params=None) -> pd.DataFrame:
        return self.evaluate(candidates, layers, params if params is not None else self.params_type())


REGISTRY: dict[str, Criterion] = {}


def register(*, name: str, title: str, params: type, inputs: tuple[str, ...] = (), summary: str = "",
             key_measure: str = "") -> Callable:
    """Decorator that registers an ``evaluate`` function as a criterion."""

    def deco(func: Callable) -> Callable:
        if name in REGISTRY:
            raise RuntimeError(f"criterion {name!r} registered twice")
        REGISTRY[name] = Criterion(name=name, title=title, params_type=params, evaluate=func, inputs=inputs,
                                   summary=summary, key_measure=key_measure)
        return func

    return deco


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
    """(geometry index, item index) pairs of an STRtree query over ``items``; empty int arrays when either is empty."""
    if len(items) == 0 or len(geoms) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    kw = {"distance": distance} if distance is not None else {}
    a, b = shapely.STRtree(items).query(geoms, predicate=predicate, **kw)
    return a.astype(np.int64), b.astype(np.int64)
