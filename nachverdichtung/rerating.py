"""Re-rate stored measures under other parameters, without touching the geometry.

Every criterion declares ``classify(measures, params)`` and the parameters that enter only that
function (``rating_params``, see :mod:`nachverdichtung.criteria.base`). Re-rating calls exactly that
function on the measures an assessment stored, so its classes are the classes a full run with the
changed parameters gives. Parameters outside ``rating_params`` change the measurement; asking to
re-rate them raises :class:`NotReratable`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .criteria import REGISTRY
from .criteria.base import UNBEWERTET
from .rating import combine

__all__ = ["NotReratable", "changed_params", "reratable", "rerate_criterion", "overall", "rerate"]


class NotReratable(ValueError):
    """A parameter change that needs the geometry again (it changes a measure)."""


def changed_params(old, new) -> set[str]:
    """Names of the fields whose value differs between two parameter objects of one type."""
    return {f.name for f in dataclasses.fields(old) if getattr(old, f.name) != getattr(new, f.name)}


def reratable(name: str, old, new) -> bool:
    """True if ``new`` differs from ``old`` only in parameters that the stored measures can re-rate."""
    crit = REGISTRY[name]
    changed = changed_params(old, new)
    return not changed or (crit.classify is not None and changed <= set(crit.rating_params))


def rerate_criterion(frame: pd.DataFrame, name: str, params) -> np.ndarray:
    """The class of criterion ``name`` for every area of ``frame`` under ``params``, from its stored measures."""
    crit = REGISTRY[name]
    if crit.classify is None:
        return frame[f"{name}_klasse"].to_numpy(dtype=object)
    return np.asarray(crit.classify(crit.measures(frame), params), dtype=object)


def overall(classes: Mapping[str, np.ndarray], *, missing: str = UNBEWERTET,
            advisory: Sequence[str] = ()) -> np.ndarray:
    """The overall class ("worst class decides") from per-criterion class arrays, vectorised."""
    deciding = [c for c in classes if c not in set(advisory)]
    if not deciding:
        n = len(next(iter(classes.values()))) if classes else 0
        return np.full(n, UNBEWERTET, dtype=object)
    return combine(np.column_stack([classes[c] for c in deciding]), missing=missing)


def rerate(frame: pd.DataFrame, base: Mapping[str, object], criteria: Mapping[str, object], *,
           missing: str = UNBEWERTET, advisory: Sequence[str] = ()) -> pd.DataFrame:
    """Classes per criterion and overall under ``criteria``, re-rated from the measures in ``frame``.

    Parameters
    ----------
    frame
        Assessment areas (with ``<name>_klasse`` and the measures of every criterion in ``base``).
    base
        The criterion parameters ``frame`` was computed with.
    criteria
        The parameters to rate with; a subset of ``base`` (a criterion may be switched off).
    missing, advisory
        As in :func:`nachverdichtung.rating.rate`.

    Raises
    ------
    NotReratable
        If a criterion is not in ``base`` or a changed parameter changes the measurement.
    """
    classes = {}
    for name, params in criteria.items():
        if name not in base:
            raise NotReratable(f"Kriterium {name!r} wurde nicht gemessen")
        old = base[name]
        if not reratable(name, old, params):
            bad = sorted(changed_params(old, params) - set(REGISTRY[name].rating_params))
            raise NotReratable(f"{name}: {', '.join(bad)} ändert die Messung")
        classes[name] = (frame[f"{name}_klasse"].to_numpy(dtype=object) if params == old
                         else rerate_criterion(frame, name, params))
    out = pd.DataFrame({f"{c}_klasse": k for c, k in classes.items()}, index=frame.index)
    out["klasse"] = overall(classes, missing=missing, advisory=advisory)
    return out
