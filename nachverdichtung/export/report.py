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
import shutil
import tempfile
import time
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..criteria.base import KLASSEN
from .figures import CLASS_COLORS, SnippetRenderer, class_bar_chart, criterion_histogram, overview_map, tornado_chart
from .report_content import (class_sentence, clean_source, count_phrase, parcel_label, parcels_by_flur,
                             report_context, thresholds_for)
from .progress import Counted
from .report_pdf import PdfBuilder, render_pdf

log = logging.getLogger(__name__)

__all__ = ["write_report", "report_context", "render_html", "render_pdf", "class_sentence", "parcel_label",
           "count_phrase", "clean_source", "parcels_by_flur", "thresholds_for", "PdfBuilder", "ReportFigures",
           "report_figures", "html_chunks", "write_html"]

TEMPLATES = Path(__file__).with_name("templates")

# ------------------------------------------------------------------------------------------ figures


class ReportFigures(Mapping):
    """The report's figures as PNG bytes: ``overview``, ``classes``, ``hist:<name>``, ``tornado``, ``sheet:<id>``.

    The chapter figures are drawn at once; a fact-sheet snippet is drawn when it is first asked
    for and kept in a temporary folder (not in memory), so the HTML and the PDF draw each snippet
    once and memory stays bounded for thousands of areas.
    """

    def __init__(self, fixed: dict[str, bytes], sheets: list[dict], renderer: SnippetRenderer | None):
        self._fixed = fixed
        self._sheets = {f"sheet:{s['id']}": s for s in sheets}
        self._renderer = renderer
        self._dir = Path(tempfile.mkdtemp(prefix="nachverdichtung-bericht-"))
        self.close = weakref.finalize(self, shutil.rmtree, self._dir, True)  # removes the snippets

    def __getitem__(self, key: str) -> bytes:
        if key in self._fixed:
            return self._fixed[key]
        s = self._sheets[key]
        path = self._dir / f"{s['nr']}.png"
        if path.exists():
            return path.read_bytes()
        data = self._renderer.render(s["geometry"], s["klasse"], parcels_involved=s["kennzeichen"],
                                     street_name=s["strasse"] if s["strasse"] != "–" else "")
        path.write_bytes(data)
        return data

    def __iter__(self) -> Iterator[str]:
        yield from self._fixed
        yield from self._sheets

    def __len__(self) -> int:
        return len(self._fixed) + len(self._sheets)


def report_figures(assessment, ctx: dict, *, progress=None) -> ReportFigures:
    """The figures of the report (see :class:`ReportFigures`); snippets are drawn on first use."""
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
    renderer = SnippetRenderer(L.parcels, L.buildings, L.roads) if ctx["areas"] else None
    return ReportFigures(figs, ctx["areas"], renderer)


# --------------------------------------------------------------------------------------------- HTML


class _DataUris(Mapping):
    """The figures as ``data:`` URIs, encoded one at a time as the template asks for them."""

    def __init__(self, figures: Mapping[str, bytes]):
        self.figures = figures

    def __getitem__(self, key: str) -> str:
        return "data:image/png;base64," + base64.b64encode(self.figures[key]).decode("ascii")

    def __iter__(self) -> Iterator[str]:
        return iter(self.figures)

    def __len__(self) -> int:
        return len(self.figures)


def html_chunks(ctx: dict, figures: Mapping[str, bytes], *, progress: bool = False) -> Iterator[str]:
    """The self-contained HTML report (images as base64 PNG, CSS inline), streamed in pieces."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(
        ["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    css = (TEMPLATES / "bericht.css").read_text(encoding="utf-8")
    view = dict(ctx, areas=Counted(ctx["areas"], "Bericht HTML")) if progress else ctx
    return env.get_template("bericht.html.j2").generate(ctx=view, img=_DataUris(figures), css=css,
                                                        klassen=KLASSEN, colors=CLASS_COLORS)


def render_html(ctx: dict, figures: Mapping[str, bytes]) -> str:
    """The self-contained HTML report as one string (see :func:`html_chunks`)."""
    return "".join(html_chunks(ctx, figures))


def write_html(ctx: dict, figures: Mapping[str, bytes], path: Path, *, progress: bool = True) -> Path:
    """Stream the HTML report into ``path`` (bounded memory; the export folder makes it atomic)."""
    with open(path, "w", encoding="utf-8") as fh:
        for chunk in html_chunks(ctx, figures, progress=progress):
            fh.write(chunk)
    return Path(path)


def write_report(assessment, folder: Path) -> list[Path]:
    """Write ``bericht.html`` and ``bericht.pdf`` into ``folder``, with one fact sheet for every area.

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
    pdf = folder / "bericht.pdf"
    try:
        html = write_html(ctx, figs, folder / "bericht.html")
        info = render_pdf(ctx, figs, pdf, progress=True)
    finally:
        figs.close()
    log.info("Bericht: %d Flächen, %d Seiten, Übersichtsabbildungen %.1f s, gesamt %.1f s", len(ctx["areas"]),
             info["seiten"], t1 - t0, time.perf_counter() - t0)
    return [html, pdf]
