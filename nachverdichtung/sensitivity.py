"""Threshold sensitivity: how many areas per class when one threshold moves, by re-rating stored measures.

For every numeric threshold a criterion declares in its rules and lists as re-ratable
(``Rule.param`` in ``rating_params``), the areas are re-rated with that threshold moved by the
given factors (default −20 %, −10 %, +10 %, +20 %) and set to every value a configured scenario
names for it; all other parameters stay. No geometry is touched, so a sweep over a city of
10,000 areas takes seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .criteria import REGISTRY
from .criteria.base import KLASSEN
from .rating import class_codes, combine_codes

__all__ = ["FACTORS", "thresholds", "sweep_values", "sensitivity", "most_moving"]

#: Relative changes of every threshold in the default sweep.
FACTORS = (-0.2, -0.1, 0.1, 0.2)


def thresholds(criteria: dict) -> list[tuple[str, str]]:
    """``(criterion, parameter)`` of every numeric, re-ratable rule threshold, in display order."""
    out = []
    for name, params in criteria.items():
        crit = REGISTRY[name]
        for rule in crit.rules:
            p = rule.param
            if p and p in crit.rating_params and (name, p) not in out:
                value = getattr(params, p)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    out.append((name, p))
    return out


def _field(params, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(params) if f.name == name)


def sweep_values(params, param: str, factors: Sequence[float], scenarios=()) -> list[tuple[str, float]]:
    """``(label, value)`` of the sweep of one parameter: relative steps, then scenario values.

    Values are kept inside the parameter's declared bounds and rounded for integer parameters.

    Examples
    --------
    >>> from nachverdichtung.criteria.topographie import TopographyParams
    >>> sweep_values(TopographyParams(), "bedingt_ab_pct", (-0.2, 0.1))
    [('−20 %', 8.0), ('+10 %', 11.0)]
    """
    f = _field(params, param)
    base = getattr(params, param)
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    out = []
    for fac in factors:
        v = base * (1.0 + fac)
        v = round(v) if isinstance(base, int) else round(v, 6)
        v = max(v, lo) if lo is not None else v
        v = min(v, hi) if hi is not None else v
        out.append((f"{'+' if fac > 0 else '−'}{abs(fac) * 100:.0f} %", type(base)(v)))
    for label, value in scenarios:
        out.append((label, type(base)(value)))
    return out


def sensitivity(frame: pd.DataFrame, criteria: dict, *, missing: str, advisory: Sequence[str] = (),
                factors: Sequence[float] = FACTORS, scenarios=()) -> pd.DataFrame:
    """Areas per class for every threshold variant, re-rated from the measures in ``frame``.

    Parameters
    ----------
    frame
        Assessment areas with every criterion's measures and ``<name>_klasse``.
    criteria
        The criterion parameters ``frame`` was computed with (the base).
    missing, advisory
        The rating settings of the base.
    factors
        Relative threshold changes.
    scenarios
        :class:`nachverdichtung.config.Scenario` objects; each threshold a scenario sets to another
        value is also swept to that value (labelled "Szenario <name>").

    Returns
    -------
    DataFrame
        One row per variant: ``kriterium``, ``parameter``, ``variante``, ``basis``, ``wert``, one
        column per class (areas), ``geaendert`` (areas whose overall class changes),
        ``geaendert_kriterium`` (areas whose class in that criterion changes) and
        ``delta_geeignet`` (change in geeignet areas). The first row (``variante`` "Basis") is the
        unchanged rating.
    """
    deciding = [c for c in criteria if c not in set(advisory)]
    codes = np.column_stack([class_codes(frame[f"{c}_klasse"].to_numpy(dtype=object)) for c in deciding]) \
        if deciding else np.zeros((len(frame), 0), dtype=np.int8)
    base = combine_codes(codes, missing=missing)
    rows = [_row("", "", "Basis", np.nan, np.nan, base, base, 0)]
    measures = {}
    for name, param in thresholds(criteria):
        params = criteria[name]
        crit = REGISTRY[name]
        if name not in measures:
            measures[name] = crit.measures(frame)  # once per criterion: the classify input
        own_base = class_codes(frame[f"{name}_klasse"].to_numpy(dtype=object))
        named = [(f"Szenario {s.name}", getattr(s.criteria[name], param)) for s in scenarios
                 if name in s.criteria and getattr(s.criteria[name], param) != getattr(params, param)]
        for label, value in sweep_values(params, param, factors, named):
            own = class_codes(crit.classify(measures[name], dataclasses.replace(params, **{param: value})))
            new = base
            if name in deciding:
                mat = codes.copy()
                mat[:, deciding.index(name)] = own
                new = combine_codes(mat, missing=missing)
            rows.append(_row(name, param, label, getattr(params, param), value, new, base,
                             int((own != own_base).sum())))
    return pd.DataFrame(rows)


def _row(name, param, label, base_value, value, codes, base, own: int) -> dict:
    n = np.bincount(codes[codes >= 0].astype(np.int64), minlength=len(KLASSEN))
    counts = {k: int(n[i]) for i, k in enumerate(KLASSEN)}
    return {"kriterium": name, "parameter": param, "variante": label, "basis": base_value, "wert": value, **counts,
            "geaendert": int((codes != base).sum()), "geaendert_kriterium": own,
            "delta_geeignet": int(n[0]) - int((base == 0).sum())}


def most_moving(table: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """Per threshold the largest number of changed areas in the sweep, most moving first (for the tornado)."""
    t = table[table["parameter"] != ""]
    if t.empty:
        return pd.DataFrame(columns=["kriterium", "parameter", "geaendert"])
    g = t.groupby(["kriterium", "parameter"], sort=False)["geaendert"].max().reset_index()
    return g.sort_values("geaendert", ascending=False, kind="stable").head(n).reset_index(drop=True)
