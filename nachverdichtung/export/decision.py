"""Decision outputs: the threshold sweep (table + tornado chart) and the scenario comparison, as files.

Written on every run (they are small): ``sensitivitaet.csv``, ``sensitivitaet_tornado.png`` and,
when the configuration names scenarios, ``szenarien.csv``. The CSVs follow the configured separator
and decimal mark, UTF-8 with a byte-order mark (German Excel).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..criteria import REGISTRY
from ..criteria.base import fmt
from ..sensitivity import most_moving
from .figures import tornado_chart

__all__ = ["sensitivity_table", "tornado_rows", "write_decision", "write_sensitivity"]

LOW, HIGH = "−20 %", "+20 %"


def sensitivity_table(table: pd.DataFrame) -> pd.DataFrame:
    """The sweep with German column names and criterion titles (for CSV and the report)."""
    t = table.copy()
    t["kriterium"] = t["kriterium"].map(lambda c: REGISTRY[c].title if c in REGISTRY else c)
    return t.rename(columns={"kriterium": "Kriterium", "parameter": "Parameter", "variante": "Variante",
                             "basis": "Basiswert", "wert": "Wert", "geaendert": "Flächen mit anderer Gesamtklasse",
                             "geaendert_kriterium": "Flächen mit anderer Kriteriumsklasse",
                             "delta_geeignet": "Änderung geeignet"})


def tornado_rows(table: pd.DataFrame, n: int = 12) -> list[tuple[str, int, int]]:
    """``(label, changed at −20 %, changed at +20 %)`` of the thresholds that move the most areas."""
    out = []
    for _, r in most_moving(table, n).iterrows():
        sel = table[(table["kriterium"] == r["kriterium"]) & (table["parameter"] == r["parameter"])]
        by = dict(zip(sel["variante"], sel["geaendert"]))
        base = sel["basis"].iloc[0]
        title = REGISTRY[r["kriterium"]].title if r["kriterium"] in REGISTRY else r["kriterium"]
        out.append((f"{title}: {r['parameter']} ({fmt(float(base), 2).rstrip('0').rstrip(',')})",
                    int(by.get(LOW, 0)), int(by.get(HIGH, 0))))
    return out


def write_sensitivity(table: pd.DataFrame, folder: Path, *, sep: str = ";", decimal: str = ",") -> list[Path]:
    """``sensitivitaet.csv`` and ``sensitivitaet_tornado.png`` in ``folder``."""
    folder = Path(folder)
    csv = folder / "sensitivitaet.csv"
    sensitivity_table(table).to_csv(csv, sep=sep, decimal=decimal, index=False, encoding="utf-8-sig")
    png = folder / "sensitivitaet_tornado.png"
    png.write_bytes(tornado_chart(tornado_rows(table)))
    return [csv, png]


def write_decision(assessment, folder: Path) -> list[Path]:
    """Sweep table, tornado chart and scenario comparison of an assessment."""
    out = assessment.config.output
    paths = []
    if assessment.sensitivity is not None:
        paths += write_sensitivity(assessment.sensitivity, folder, sep=out.csv_separator, decimal=out.csv_decimal)
    if assessment.scenario_table is not None and assessment.config.scenarios:
        path = Path(folder) / "szenarien.csv"
        assessment.scenario_table.reset_index().to_csv(path, sep=out.csv_separator, decimal=out.csv_decimal,
                                                       index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths
