"""Sachstandsbericht for the council: counts by class and answer, a map of the states, no personal data.

Writes ``OUTDIR/sachstandsbericht.pdf`` and ``OUTDIR/sachstand.csv`` (public: they hold only counts
per class and state, and the state per area).
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..criteria.base import KLASSEN
from ..export.figures import _collection, _png, geometry_paths
from .rounds import load_areas
from .state import STATE_COLOURS, STATES, area_states
from .store import open_store, responses

__all__ = ["council_table", "state_map", "write_council_report", "REPORT_FILE", "TABLE_FILE"]

REPORT_FILE = "sachstandsbericht.pdf"
TABLE_FILE = "sachstand.csv"


def council_table(areas: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """Number of areas per class (rows) and participation state (columns), with totals."""
    st = states["beteiligung"].reindex(areas.index).fillna("nicht angefragt")
    t = pd.crosstab(areas["klasse"], st).reindex(index=list(KLASSEN), columns=list(STATES), fill_value=0)
    t.loc["Summe"] = t.sum()
    t["Summe"] = t.sum(axis=1)
    return t


def state_map(areas, states: pd.DataFrame, *, width_in: float = 7.0, dpi: float = 150) -> bytes:
    """PNG: every area coloured by its participation state (areas only; no parcel, no owner)."""
    st = states["beteiligung"].reindex(areas.index).fillna("nicht angefragt").to_numpy(dtype=object)
    geoms = np.asarray(areas.geometry.array, dtype=object)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms) if len(geoms) else (0, 0, 1, 1)
    aspect = (ymax - ymin) / max(xmax - xmin, 1e-9)
    h = min(8.0, width_in * aspect + 0.6)
    fig = Figure(figsize=(width_in, h))
    ax = fig.add_axes((0.01, 0.6 / h, 0.98, 1 - 0.6 / h - 0.01))
    ax.set_axis_off()
    ax.add_collection(_collection(geometry_paths(geoms), facecolor=[STATE_COLOURS[s] for s in st],
                                  edgecolor="#333333", linewidth=0.3))
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    counts = {s: int((st == s).sum()) for s in STATES}
    handles = [Patch(facecolor=STATE_COLOURS[s], edgecolor="#333333", label=f"{s} ({counts[s]})") for s in STATES]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, prop={"size": 7.5})
    return _png(fig, dpi)


def write_council_report(outdir: str | Path) -> list[Path]:
    """Write the Sachstandsbericht (PDF) and its table (CSV) into ``outdir``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from .letters import _styles

    outdir = Path(outdir)
    areas, _parcels = load_areas(outdir)
    con = open_store(outdir)
    try:
        answers = responses(con)
        rounds = pd.read_sql_query("SELECT runde, gestartet, auswahl FROM runden ORDER BY runde", con)
    finally:
        con.close()
    states = area_states(answers)
    table = council_table(areas, states)
    csv = outdir / TABLE_FILE
    table.rename_axis("klasse").reset_index().to_csv(csv, sep=";", index=False, encoding="utf-8-sig")
    st = _styles()
    asked = states.reindex(areas.index).dropna(subset=["beteiligung"])
    n_letters = int(answers["referenz"].nunique())
    answered = int((~answers["status"].isin(["angeschrieben", "keine Antwort"])).sum())
    story = [Paragraph("Sachstand der Eigentümerbeteiligung", st["h"]),
             Paragraph(escape(f"Stand {datetime.now(timezone.utc):%d.%m.%Y}. {len(rounds)} Runde(n), "
                              f"{n_letters} Anschreiben zu {len(asked)} von {len(areas)} Flächen; "
                              f"{answered} von {len(answers)} Rückmeldungen je Fläche liegen vor."), st["body"]),
             Paragraph("Die Übersicht enthält keine Namen, Anschriften oder Anteile. Flächen, bei denen alle "
                       "Eigentümer kein Interesse haben, sind zurückgestellt.", st["body"]),
             Paragraph("Flächen nach Eignung und Beteiligungsstand", st["h2"])]
    cells = [["Klasse", *table.columns]] + [[i, *map(str, r)] for i, r in zip(table.index, table.to_numpy())]
    cells = [[Paragraph(escape(str(c)), st["cell"]) for c in row] for row in cells]
    story.append(Table(cells, colWidths=[30 * mm] + [19 * mm] * (len(table.columns)), repeatRows=1,
                       style=TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
                                         ("BACKGROUND", (0, 0), (-1, 0), "#e8eef4")])))
    story += [Spacer(1, 6 * mm), Paragraph("Karte: Beteiligungsstand je Fläche", st["h2"]),
              Image(io.BytesIO(state_map(areas, states)), width=170 * mm, height=170 * mm, kind="proportional")]
    pdf = outdir / REPORT_FILE
    SimpleDocTemplate(str(pdf), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                      bottomMargin=16 * mm, title="Sachstand Eigentümerbeteiligung").build(story)
    return [pdf, csv]
