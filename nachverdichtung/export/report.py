"""The report for the council: ``bericht.html`` (self-contained) and ``bericht.pdf``.

Both formats are rendered from one plain context (:func:`report_context`) and one set of figures,
so they always say the same thing. Chapters: title page, summary, overview map, method (from the
effective configuration), statistics per criterion, one fact sheet (Steckbrief) per area, annex
(data sources, run manifest, configuration).

The PDF is built with reportlab (pure Python) and DejaVu Sans from matplotlib's bundled fonts, so
umlauts and ß render on any machine without system libraries.
"""

from __future__ import annotations
import base64
import logging
import time
from pathlib import Path

from ..criteria.base import KLASSEN
from .figures import CLASS_COLORS, SnippetRenderer, class_bar_chart, criterion_histogram, overview_map, tornado_chart
from .report_content import (class_sentence, clean_source, count_phrase, parcel_label, parcels_by_flur,
                             report_context, thresholds_for)
from .report_pdf import PdfBuilder, render_pdf

log = logging.getLogger(__name__)

__all__ = ["write_report", "report_context", "render_html", "render_pdf", "class_sentence", "parcel_label",
           "count_phrase", "clean_source", "parcels_by_flur", "thresholds_for", "PdfBuilder"]

TEMPLATES = Path(__file__).with_name("templates")

# ------------------------------------------------------------------------------------------ figures


def report_figures(assessment, ctx: dict, *, progress=None) -> dict:
    """Render every figure as PNG bytes: ``overview``, ``classes``, ``hist:<name>``, ``sheet:<id>``."""
    a = assessment
    L = a.layers
    figs = {"classes": class_bar_chart({r["klasse"]: r["anzahl"] for r in ctx["summary"]["klassen"]})}
    figs["overview"] = overview_map(a.areas, L.parcels, L.buildings, L.roads,
                                    numbers=[s["nr"] for s in ctx["areas"]],
                                    settlement=getattr(a.candidates, "settlement", None))
    for st in ctx["statistics"]:
        unit = f" [{st['einheit']}]" if st["einheit"] else ""
        figs[f"hist:{st['name']}"] = criterion_histogram(st["werte"], st["klassen"], xlabel=st["messgroesse"] + unit,
                                                         thresholds=st["schwellen"], integer=st["ganzzahlig"])
    if ctx["entscheidung"]["sensitivitaet"]:
        figs["tornado"] = tornado_chart([(r["schwelle"], r["tiefer"], r["hoeher"])
                                         for r in ctx["entscheidung"]["sensitivitaet"]])
    if ctx["areas"]:
        snip = SnippetRenderer(L.parcels, L.buildings, L.roads)
        for s in ctx["areas"]:
            figs[f"sheet:{s['id']}"] = snip.render(s["geometry"], s["klasse"], parcels_involved=s["kennzeichen"],
                                                   street_name=s["strasse"] if s["strasse"] != "–" else "")
    return figs


# --------------------------------------------------------------------------------------------- HTML


def render_html(ctx: dict, figures: dict) -> str:
    """The self-contained HTML report (images as base64 PNG, CSS inline)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(
        ["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    img = {k: "data:image/png;base64," + base64.b64encode(v).decode("ascii") for k, v in figures.items()}
    css = (TEMPLATES / "bericht.css").read_text(encoding="utf-8")
    return env.get_template("bericht.html.j2").render(ctx=ctx, img=img, css=css, klassen=KLASSEN,
                                                      colors=CLASS_COLORS)


def write_report(assessment, folder: Path) -> list[Path]:
    """Write ``bericht.html`` and ``bericht.pdf`` into ``folder``.

    Examples
    --------
    >>> write_report(result, Path("data/processed/lauf1"))  # doctest: +SKIP
    [PosixPath('data/processed/lauf1/bericht.html'), PosixPath('data/processed/lauf1/bericht.pdf')]
    """
    folder = Path(folder)
    t0 = time.perf_counter()
    ctx = report_context(assessment)
    figs = report_figures(assessment, ctx)
    t1 = time.perf_counter()
    html = folder / "bericht.html"
    html.write_text(render_html(ctx, figs), encoding="utf-8")
    pdf = folder / "bericht.pdf"
    info = render_pdf(ctx, figs, pdf)
    log.info("Bericht: %d Flächen, %d Seiten, Abbildungen %.1f s, gesamt %.1f s", len(ctx["areas"]),
             info["seiten"], t1 - t0, time.perf_counter() - t0)
    return [html, pdf]


