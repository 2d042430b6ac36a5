"""Stored results of a run and their comparison: performance work must not change a result.

``snapshot(assessment)`` keeps what a run decides and measures: per area the id, parcels, overall and
provisional class, every criterion's class and every numeric or yes/no column (plus the geometry's
area and perimeter); per parcel its status, reason and areas. ``compare(actual, expected)`` lists
every difference beyond 0.01 (absolute) or 0.1 % (relative).

Regenerate (only for an intended change of results, see ``tests/reference/README.md``)::

    python -m tests.reference_results CONFIG OUT_PREFIX   # writes OUT_PREFIX_areas.csv, OUT_PREFIX_parcels.csv
    python -m tests.reference_results --compare CONFIG OUT_PREFIX   # lists differences, exit 1 if any
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: Tolerances of the comparison: 0.01 (m, m², %) absolute or 0.1 % relative, whichever is larger.
ABS_TOL, REL_TOL = 0.01, 0.001
_TEXT = ("flurstuecke", "klasse", "klasse_vorlaeufig")


def snapshot(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(areas, parcels) of an :class:`~nachverdichtung.pipeline.Assessment` as plain frames."""
    a = result.areas
    texts = [c for c in a.columns if c in _TEXT or (c.endswith("_klasse") and not c.startswith("hebel"))]
    nums = [c for c in a.columns if c != "geometry" and c not in texts
            and (pd.api.types.is_numeric_dtype(a[c]) or pd.api.types.is_bool_dtype(a[c]))]
    areas = pd.DataFrame(a[texts + nums])
    areas["geom_area_m2"] = a.geometry.area.to_numpy()
    areas["geom_length_m"] = a.geometry.length.to_numpy()
    areas.index.name = "flaeche_id"
    p = result.parcels
    parcels = pd.DataFrame(p[["flstkennz", "status", "grund", "flaeche_ids"]]).set_index("flstkennz")
    return areas.sort_index(), parcels.sort_index()


def write(result, prefix: str | Path) -> None:
    """Write ``<prefix>_areas.csv`` and ``<prefix>_parcels.csv``."""
    areas, parcels = snapshot(result)
    areas.to_csv(f"{prefix}_areas.csv", float_format="%.6g")
    parcels.to_csv(f"{prefix}_parcels.csv")


def read(prefix: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored (areas, parcels) written by :func:`write`."""
    areas = pd.read_csv(f"{prefix}_areas.csv", index_col="flaeche_id", keep_default_na=False, na_values=[""])
    parcels = pd.read_csv(f"{prefix}_parcels.csv", index_col="flstkennz", keep_default_na=False,
                          na_values=[""], dtype=str)
    return areas, parcels


def compare(actual: pd.DataFrame, expected: pd.DataFrame, *, limit: int = 20) -> list[str]:
    """Every difference of ``actual`` from ``expected`` (same ids, columns, texts, numbers within tolerance)."""
    out = []
    missing, extra = expected.index.difference(actual.index), actual.index.difference(expected.index)
    if len(missing) or len(extra):
        out.append(f"ids: {len(missing)} fehlen ({list(missing[:5])}), {len(extra)} neu ({list(extra[:5])})")
    common = expected.index.intersection(actual.index)
    for col in expected.columns:
        if col not in actual.columns:
            out.append(f"Spalte {col} fehlt")
            continue
        e, a = expected.loc[common, col], actual.loc[common, col]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            ev, av = e.to_numpy(float), pd.to_numeric(a, errors="coerce").to_numpy(float)
            both_nan = np.isnan(ev) & np.isnan(av)
            bad = ~both_nan & ~(np.abs(ev - av) <= np.maximum(ABS_TOL, REL_TOL * np.abs(ev)))
        else:
            es, as_ = e.astype(str).where(e.notna(), ""), a.astype(str).where(a.notna(), "")
            bad = (es.to_numpy() != as_.to_numpy())
        if bad.any():
            idx = common[bad]
            sample = [(i, e[i], a[i]) for i in idx[:3]]
            out.append(f"{col}: {int(bad.sum())} Abweichungen, z. B. {sample}")
    return out[:limit]


def main(argv: list[str]) -> int:
    """``CONFIG PREFIX`` writes the reference; ``--compare CONFIG PREFIX`` prints every difference (exit 1)."""
    from nachverdichtung.pipeline import assess

    if argv[0] == "--compare":
        config, prefix = argv[1:]
        (areas, parcels), (exp_areas, exp_parcels) = snapshot(assess(config)), read(prefix)
        problems = compare(areas, exp_areas) + compare(parcels, exp_parcels)
        print("\n".join(problems) or f"gleich: {len(exp_areas)} Flächen, {len(exp_parcels)} Flurstücke")
        return 1 if problems else 0
    config, prefix = argv
    write(assess(config), prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
