"""Counterfactuals ("Was müsste sich ändern?"): the smallest change that lifts a criterion by one class.

For every area where a criterion is bedingt or nicht geeignet, the criterion's own rules
(:class:`nachverdichtung.criteria.base.Rule`) name the measures that hold it down at that level.
Each such measure is moved to the closest passing value; the criterion's ``classify`` is run on
the changed measures, and only a change that really lifts the class by one step is proposed
(a cause the rules do not cover gives no proposal). A rule without ``hebel`` cannot be changed by
the owner or the city (slope, a nature reserve): the change is named, but marked "nicht machbar".
For thresholds that can be re-rated, the threshold that would let the area pass is named too
(a council decision that affects every area).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .criteria import REGISTRY
from .criteria.base import BEDINGT, NICHT, RANK, fmt, step_class
from .params import describe

__all__ = ["Lever", "criterion_levers", "lever_columns", "MACHBAR", "NICHT_MACHBAR"]

MACHBAR = "ja"
NICHT_MACHBAR = "nein"


@dataclasses.dataclass(frozen=True)
class Lever:
    """The counterfactuals of one criterion, one row per area (index like the assessment).

    Attributes
    ----------
    frame
        ``von``, ``nach`` (classes; ``nach`` is at least one step better), ``machbar`` ("ja" / "nein" /
        "" where nothing is proposed),
        ``satz`` (German sentence), ``aenderung`` (dict measure → value that lifts the class),
        ``schwelle`` (dict parameter → threshold that lifts it, only re-ratable parameters).
    """

    name: str
    frame: pd.DataFrame


def _clause(rule, value: float, target: float, threshold: float) -> str:
    d, u = rule.digits, rule.unit
    return rule.wenn.format(target=fmt(target, d, u), value=fmt(value, d, u), delta=fmt(abs(value - target), d, u),
                            threshold=fmt(threshold, d, u))


def criterion_levers(frame: pd.DataFrame, name: str, params) -> Lever:
    """Counterfactuals of criterion ``name`` for every area of ``frame`` (its stored measures and class).

    Examples
    --------
    See ``tests/test_levers.py``: every proposed change, applied to the measures and re-rated with the
    criterion's ``classify``, gives the class ``nach``.
    """
    crit = REGISTRY[name]
    n = len(frame)
    klasse = frame[f"{name}_klasse"].to_numpy(dtype=object)
    cols = {"von": klasse, "nach": np.full(n, "", dtype=object), "machbar": np.full(n, "", dtype=object),
            "satz": np.full(n, "", dtype=object), "aenderung": np.array([{} for _ in range(n)], dtype=object),
            "schwelle": np.array([{} for _ in range(n)], dtype=object)}
    if crit.classify is None or not crit.rules or n == 0:
        return Lever(name, pd.DataFrame(cols, index=frame.index))
    m = crit.measures(frame)
    goal = step_class(klasse)
    units = {r["name"]: r["unit"] for r in describe(params)}
    changed = m.copy()
    hits = {}
    for level in (BEDINGT, NICHT):
        for i, rule in enumerate(crit.rules):
            if rule.klasse != level:
                continue
            h = rule.hits(m, params) & (klasse == level)
            if h.any():
                hits[i] = h
                col = rule.column(params)
                changed[col] = changed[col].astype(float)
                changed.loc[h, col] = rule.passing_value(params)
    lifted = np.asarray(crit.classify(changed, params), dtype=object)
    ok = np.array([RANK.get(a, -1) <= RANK.get(b, -1) and RANK.get(a, -1) >= 0 and a != c
                   for a, b, c in zip(lifted, goal, klasse)], dtype=bool) & np.isin(klasse, (BEDINGT, NICHT))
    for k in np.flatnonzero(ok):
        rules = [crit.rules[i] for i, h in hits.items() if h[k]]
        changes, schwelle, clauses, hebel = {}, {}, [], []
        for rule in rules:
            col = rule.column(params)
            value = float(pd.to_numeric(m[col].iloc[k], errors="coerce"))
            target = rule.passing_value(params)
            changes[col] = target
            clauses.append(_clause(rule, value, target, rule.threshold(params)))
            if rule.hebel and rule.hebel not in hebel:
                hebel.append(rule.hebel)
            if rule.param and rule.param in crit.rating_params:
                schwelle[rule.param] = float(rule.passing_threshold([value])[0])
        doable = all(r.hebel for r in rules)
        clause = " und ".join(dict.fromkeys(clauses))
        if doable:
            text = f"{klasse[k]} → {lifted[k]}, wenn {clause} ({'; '.join(hebel)})"
        else:  # named, but not proposed: nobody can bring it about
            text = (f"kein Hebel: {klasse[k]} → {lifted[k]} nur, wenn {clause} "
                    "(weder Eigentümer noch Stadt können das ändern)")
        full = bool(schwelle) and len(schwelle) == len(rules)
        if full:
            digits = {r.param: r.digits for r in rules}
            text += "; oder Schwelle " + ", ".join(
                f"{p} {fmt(getattr(params, p), digits[p], units.get(p, ''))} → {fmt(v, digits[p], units.get(p, ''))}"
                for p, v in schwelle.items())
        cols["nach"][k] = lifted[k] if doable else ""
        cols["machbar"][k] = MACHBAR if doable else NICHT_MACHBAR
        cols["satz"][k] = text
        cols["aenderung"][k] = changes if doable else {}
        cols["schwelle"][k] = schwelle if full else {}
    for k in np.flatnonzero(~ok & np.isin(klasse, (BEDINGT, NICHT))):
        cols["machbar"][k] = NICHT_MACHBAR
        cols["satz"][k] = f"kein Hebel aus den Regeln ableitbar ({klasse[k]}, siehe Begründung)"
    return Lever(name, pd.DataFrame(cols, index=frame.index))


def lever_columns(frame: pd.DataFrame, criteria: Mapping[str, object], advisory=()) -> pd.DataFrame:
    """The ``hebel_*`` columns of the assessment.

    ``hebel_<name>``: the sentence of each criterion (where it is bedingt or nicht geeignet);
    ``hebel``: the sentences of the deciding criteria, joined; ``hebel_machbar``: "ja" if every
    deciding criterion can be lifted by the owner or the city, "teilweise" if some can, "nein" if
    none, empty for geeignet areas.
    """
    cols = {}
    doable = {}
    for name, params in criteria.items():
        if REGISTRY[name].classify is None or not REGISTRY[name].rules:
            continue  # a criterion without declared rules offers no levers
        lev = criterion_levers(frame, name, params).frame
        cols[f"hebel_{name}"] = lev["satz"].to_numpy(dtype=object)
        doable[name] = lev["machbar"].to_numpy(dtype=object)
    deciding = frame["entscheidend"].astype(str).str.split(", ").to_numpy() if "entscheidend" in frame else \
        [[] for _ in range(len(frame))]
    joined, machbar = [], []
    for k, names in enumerate(deciding):
        names = [c for c in names if f"hebel_{c}" in cols and c not in set(advisory)]
        texts = [f"{REGISTRY[c].title}: {cols[f'hebel_{c}'][k]}" for c in names if cols[f"hebel_{c}"][k]]
        joined.append(" | ".join(texts))
        flags = [doable[c][k] == MACHBAR for c in names]
        machbar.append("" if not names else "ja" if all(flags) else "teilweise" if any(flags) else "nein")
    out = pd.DataFrame(cols, index=frame.index)
    out.insert(0, "hebel_machbar", machbar)
    out.insert(0, "hebel", joined)
    return out
