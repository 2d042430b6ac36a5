"""Scenarios: every configured policy variant rated from the one geometric pass of ``assess``.

A scenario (:class:`nachverdichtung.config.Scenario`) overlays criterion parameters and switches.
Criteria whose changed parameters are all re-ratable are re-rated from the stored measures; a
criterion with a changed measuring parameter, or one the base switched off, is measured again for
that scenario (candidate areas are never re-derived: the areas are the same in every scenario).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from .criteria import REGISTRY
from .criteria.base import KLASSEN
from .rerating import overall, reratable, rerate_criterion

log = logging.getLogger(__name__)

__all__ = ["DWELLINGS", "scenario_classes", "comparison"]

#: Measure summed as "estimated dwellings" in the comparison.
DWELLINGS = "zuschnitt_wohneinheiten_schaetzung"


def scenario_classes(areas, layers, config, *, progress: Callable[[str], None] | None = None,
                     timings: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One column ``klasse_<scenario>`` per scenario, and the notes on criteria measured again.

    Parameters
    ----------
    areas
        The assessed areas (geometry, measures, ``<name>_klasse``).
    layers
        The loaded layers (only used for criteria that must be measured again).
    config
        The configuration with its ``scenarios``.
    """
    cols, notes = {}, []
    for sc in config.scenarios:
        if progress:
            progress(f"Szenario {sc.name}")
        t0 = time.perf_counter()
        classes = {}
        for name, params in sc.criteria.items():
            base = config.criteria.get(name)
            if base is not None and reratable(name, base, params):
                classes[name] = (areas[f"{name}_klasse"].to_numpy(dtype=object) if params == base
                                 else rerate_criterion(areas, name, params))
            else:
                why = "in der Basis abgeschaltet" if base is None else "geänderter Messparameter"
                notes.append(f"Szenario {sc.name}: {REGISTRY[name].title} neu gemessen ({why})")
                log.info(notes[-1])
                frame = REGISTRY[name].evaluate(areas, layers, params)
                classes[name] = frame[f"{name}_klasse"].to_numpy(dtype=object)
        cols[f"klasse_{sc.name}"] = overall(classes, missing=sc.rating.missing, advisory=sc.rating.advisory) \
            if classes else np.full(len(areas), KLASSEN[3], dtype=object)
        if timings is not None:
            timings[f"szenario_{sc.name}"] = round(time.perf_counter() - t0, 3)
    return pd.DataFrame(cols, index=areas.index), notes


def comparison(areas: pd.DataFrame, scenarios) -> pd.DataFrame:
    """Areas and estimated dwellings per class and scenario ("Basis" first).

    Returns
    -------
    DataFrame
        Index ``szenario``; columns ``<klasse> Flächen`` and ``<klasse> Wohneinheiten`` per class.
    """
    names = [("Basis", "klasse")] + [(s.name, f"klasse_{s.name}") for s in scenarios]
    dwell = pd.to_numeric(areas[DWELLINGS], errors="coerce").fillna(0).to_numpy() if DWELLINGS in areas \
        else np.zeros(len(areas))
    rows = []
    for label, col in names:
        k = areas[col].to_numpy(dtype=object)
        row = {"szenario": label}
        for c in KLASSEN:
            row[f"{c} Flächen"] = int((k == c).sum())
        for c in KLASSEN[:2]:
            row[f"{c} Wohneinheiten"] = int(dwell[k == c].sum())
        rows.append(row)
    return pd.DataFrame(rows).set_index("szenario")
