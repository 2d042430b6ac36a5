"""The PDF of the council report (reportlab): title page, chapters, one page per fact sheet, annex.

DejaVu Sans from matplotlib's bundled fonts is embedded, so umlauts and ß render on any machine
without system libraries. The story is produced lazily, fact sheet by fact sheet, so memory stays
bounded for thousands of areas (see :class:`LazyStory`).
"""

from __future__ import annotations

from pathlib import Path

from .progress import bar
from .report_content import DECISION_INTRO, SCENARIO_TEXT, SENSITIVITY_TEXT, parcels_by_flur

__all__ = ["LazyStory", "PdfBuilder", "render_pdf"]


class LazyStory(list):
    """A reportlab story that makes its middle part only when the layout reaches it.

    reportlab's ``build`` consumes the story from the front (``flowables[0]``, ``del flowables[0]``);
    this list refills itself from ``chunks`` (one list of flowables per fact sheet) whenever fewer
    than :attr:`AHEAD` flowables are left, and finally appends ``tail()``. So only a few fact sheets
    exist as flowables at any time, whatever the number of areas.
    """

    AHEAD = 16

    def __init__(self, head: list, chunks, tail):
        super().__init__(head)
        self._chunks = iter(chunks)
        self._tail = tail

    def _fill(self) -> None:
        while self._chunks is not None and list.__len__(self) < self.AHEAD:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._chunks = None
                self.extend(self._tail())
            else:
                self.extend(chunk)

    def __len__(self) -> int:
        self._fill()
        return list.__len__(self)

    def __getitem__(self, index):
        self._fill()
        return list.__getitem__(self, index)


def render_pdf(ctx: dict, figures, path: Path, *, progress: bool = False) -> dict:
    """Write the PDF, fact sheet by fact sheet (bounded memory); return page bookkeeping.

    ``progress`` shows a bar over the fact sheets (on a terminal).

    Returns
    -------
    dict
        ``seiten`` (total pages), ``steckbrief_seiten`` (page number of each fact sheet, in order)
        and ``feste_seiten`` (all pages that are not fact sheets).
    """
    return PdfBuilder(ctx, figures).build(Path(path), progress=progress)


class PdfBuilder:
    """reportlab story for the report; records on which page each fact sheet landed."""

    def __init__(self, ctx: dict, figures: dict):
        self.ctx = ctx
        self.figures = figures
        self.pages: dict[str, int] = {}
        self.last_page = 0
        self._fonts()
        self._styles()

    # -- setup
    @staticmethod
    def _fonts() -> None:
        import matplotlib
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        if "DejaVu" in pdfmetrics.getRegisteredFontNames():
            return
        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
                           ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"), ("DejaVuMono", "DejaVuSansMono.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
        addMapping("DejaVu", 0, 0, "DejaVu")
        addMapping("DejaVu", 1, 0, "DejaVu-Bold")
        addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
        addMapping("DejaVu", 1, 1, "DejaVu-Bold")

    def _styles(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle

        base = ParagraphStyle("base", fontName="DejaVu", fontSize=9.5, leading=13, textColor=colors.HexColor("#222222"))
        self.s = {
            "body": base,
            "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
            "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
            "cellb": ParagraphStyle("cellb", parent=base, fontSize=8, leading=10, fontName="DejaVu-Bold"),
            "cellr": ParagraphStyle("cellr", parent=base, fontSize=8, leading=10, alignment=2),
            "cellbr": ParagraphStyle("cellbr", parent=base, fontSize=8, leading=10, fontName="DejaVu-Bold",
                                     alignment=2),
            "mono": ParagraphStyle("mono", parent=base, fontName="DejaVuMono", fontSize=6.8, leading=8.4),
            "h1": ParagraphStyle("h1", parent=base, fontName="DejaVu-Bold", fontSize=17, leading=22, spaceAfter=8,
                                 textColor=colors.HexColor("#1f3b57")),
            "h2": ParagraphStyle("h2", parent=base, fontName="DejaVu-Bold", fontSize=12, leading=16, spaceBefore=8,
                                 spaceAfter=4, textColor=colors.HexColor("#1f3b57")),
            "h3": ParagraphStyle("h3", parent=base, fontName="DejaVu-Bold", fontSize=10, leading=13, spaceBefore=6,
                                 spaceAfter=3),
            "title": ParagraphStyle("title", parent=base, fontName="DejaVu-Bold", fontSize=26, leading=32,
                                    textColor=colors.HexColor("#1f3b57")),
            "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=15, leading=20,
                                       textColor=colors.HexColor("#35556f")),
            "caption": ParagraphStyle("caption", parent=base, fontSize=7.5, leading=9.5,
                                      textColor=colors.HexColor("#555555")),
        }

    # -- helpers
    def p(self, text: str, style: str = "body"):
        from reportlab.platypus import Paragraph
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), self.s[style])

    def img(self, key: str, width: float, max_height: float | None = None):
        import io

        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        data = self.figures[key]
        w, h = ImageReader(io.BytesIO(data)).getSize()
        height = width * h / w
        if max_height and height > max_height:
            width, height = max_height * w / h, max_height
        return Image(io.BytesIO(data), width=width, height=height)

    def table(self, header, rows, widths, *, mark_col: int | None = None, marks=(), style_extra=(), right=()):
        from reportlab.lib import colors
        from reportlab.platypus import Table, TableStyle

        cell = lambda c, j: c if not isinstance(c, (str, int, float)) else self.p(c, "cellr" if j in right else "cell")
        data = [[self.p(h, "cellbr" if j in right else "cellb") for j, h in enumerate(header)]] + [
            [cell(c, j) for j, c in enumerate(r)] for r in rows]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        st = [("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b9c3cc")),
              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3ebf2")),
              ("VALIGN", (0, 0), (-1, -1), "TOP"),
              ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
              ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
        if mark_col is not None:
            for i, color in enumerate(marks, start=1):
                st.append(("BACKGROUND", (mark_col, i), (mark_col, i), colors.HexColor(color)))
        t.setStyle(TableStyle(st + list(style_extra)))
        return t

    def mark(self, key: str):
        from reportlab.platypus import Flowable

        builder = self

        class _Mark(Flowable):
            def wrap(self, aw, ah):
                return 0, 0

            def draw(self):
                builder.pages[key] = self.canv.getPageNumber()

        return _Mark()

    # -- page decoration
    def _decorate(self, canvas, doc) -> None:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4

        self.last_page = max(self.last_page, canvas.getPageNumber())
        if canvas.getPageNumber() == 1:
            return
        w, h = A4
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#b9c3cc"))
        canvas.setLineWidth(0.5)
        canvas.line(18 * 2.83465, h - 14 * 2.83465, w - 18 * 2.83465, h - 14 * 2.83465)
        canvas.setFont("DejaVu", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(18 * 2.83465, h - 12 * 2.83465, self.ctx["title"])
        canvas.drawRightString(w - 18 * 2.83465, h - 12 * 2.83465, self.ctx["study_area"])
        canvas.drawString(18 * 2.83465, 10 * 2.83465, f"Stand {self.ctx['date']} · vertraulich: enthält "
                                                       "flurstücksbezogene Angaben")
        canvas.drawRightString(w - 18 * 2.83465, 10 * 2.83465, f"Seite {canvas.getPageNumber()}")
        canvas.restoreState()

    # -- chapters
    def title_page(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepInFrame, Spacer

        c = self.ctx
        s = c["summary"]
        rows = [[i["was"], i["datei"], i["datum"]] for i in c["inputs"]] or [["–", "–", "–"]]
        from reportlab.lib import colors
        from reportlab.platypus import HRFlowable

        story = [Spacer(1, 40 * mm), HRFlowable(width="100%", thickness=5, color=colors.HexColor("#1f3b57"),
                                                spaceAfter=8 * mm, hAlign="LEFT"),
                 self.p(c["title"], "title"), Spacer(1, 6 * mm),
                 self.p(f"Untersuchungsgebiet: {c['study_area']}", "subtitle"), Spacer(1, 3 * mm),
                 self.p(f"Bericht vom {c['date']} · {s['gesamt']} untersuchte Potenzialflächen", "subtitle"),
                 *([self.p(f"Datenstand ALKIS: {c['data_date']} ({c['data_date_source']})", "subtitle")]
                   if c.get("data_date", "–") != "–" else []),
                 Spacer(1, 22 * mm), self.p("Datengrundlage", "h2"),
                 self.table(["Daten", "Datei", "Stand"], rows, [85 * mm, 55 * mm, 30 * mm]),
                 Spacer(1, 12 * mm),
                 self.p("Vertraulich. Der Bericht enthält flurstücksbezogene Angaben und ist für die Beratung in "
                        "Verwaltung und Gremien bestimmt. Eine Veröffentlichung setzt eine datenschutzrechtliche "
                        "Prüfung voraus (Eigentümerrechte, Vertraulichkeit).", "small"),
                 Spacer(1, 4 * mm),
                 self.p("Die Einstufungen sind ein Ergebnis der ersten Prüfung nach städtebaulichen und "
                        "ökologischen Kriterien. Sie ersetzen weder die Prüfung im Einzelfall noch ein "
                        "Bebauungsplanverfahren.", "small")]
        return [KeepInFrame(174 * mm, 250 * mm, story, mode="shrink"), self.mark("_title_end")]

    def summary(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Spacer

        s = self.ctx["summary"]
        story = [PageBreak(), self.p("1 Zusammenfassung", "h1"), self.p(s["satz"])]
        if s["potenzial"]:
            story += [Spacer(1, 1.5 * mm), self.p(s["potenzial"])]
        story.append(Spacer(1, 3 * mm))
        rows = [["", r["klasse"], str(r["anzahl"]), r["anteil"], str(r["vorlaeufig"])] for r in s["klassen"]]
        rows.append(["", "insgesamt", str(s["gesamt"]), "100 %" if s["gesamt"] else "–", str(s["gesamt"])])
        story.append(self.table(["", "Klasse", "Anzahl", "Anteil", "vorläufig"], rows,
                                [6 * mm, 60 * mm, 25 * mm, 25 * mm, 25 * mm],
                                right=(2, 3, 4), mark_col=0, marks=[r["farbe"] for r in s["klassen"]]))
        if s.get("vorlaeufig"):
            story += [Spacer(1, 1.5 * mm), self.p(s["vorlaeufig"], "small")]
        story += [Spacer(1, 2 * mm), self.img("classes", 150 * mm)]
        kl = s["klassennamen"]
        crit_rows = [[r["titel"] + (f" ({r['hinweis']})" if r["hinweis"] else ""), str(r["entscheidend"])]
                     + [str(v) for v in r["klassen"]] for r in s["kriterien"]]
        story.append(KeepTogether([
            self.p("Entscheidende Kriterien", "h2"),
            self.p("Wie oft ein Kriterium die Gesamtklasse bestimmt hat, und wie es die Flächen für sich "
                   "eingestuft hat. Eine Fläche kann an mehreren Kriterien scheitern.", "small"), Spacer(1, 2 * mm),
            self.table(["Kriterium", "entscheidend"] + list(kl), crit_rows,
                       [40 * mm, 26 * mm] + [108 * mm / max(len(kl), 1)] * len(kl),
                       right=tuple(range(1, 2 + len(kl))))]))
        f = s["flurstuecke"]
        acc = [[r["grund"], str(r["anzahl"])] for r in f["gruende"]]
        story.append(KeepTogether([
            self.p("Flurstücke", "h2"),
            self.p(f"{f['gesamt']} Flurstücke wurden geprüft; {f['kandidat']} liegen in einer Potenzialfläche, "
                   f"{f['ausgeschlossen']} wurden ausgeschlossen. Gründe des Ausschlusses:"), Spacer(1, 2 * mm),
            self.table(["Grund", "Flurstücke"], acc or [["–", "0"]], [140 * mm, 30 * mm], right=(1,))]))
        return story

    def overview(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import PageBreak

        return [PageBreak(), self.p("2 Übersichtskarte", "h1"),
                self.img("overview", 174 * mm, 215 * mm),
                self.p("Potenzialflächen nach Gesamtklasse; die Zahlen sind die Nummern der Steckbriefe. "
                       "Hintergrund: Flurstücke, Gebäude und Verkehrsflächen aus ALKIS.", "caption")]

    def method(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Spacer

        m = self.ctx["method"]
        story = [PageBreak(), self.p("3 Methode", "h1"),
                 self.p("Alle Flurstücke im Untersuchungsgebiet werden geprüft. Hinter der faktischen hinteren "
                        "Baulinie jeder Straße wird nach Flächen gesucht, auf denen ein weiteres Gebäude Platz hat "
                        "(Bauen in zweiter Reihe). Jede Fläche wird anschließend nach den unten genannten Kriterien "
                        "eingestuft. Alle Werte stammen aus der Konfiguration dieses Laufs."),
                 self.p("3.1 Ableitung der Potenzialflächen", "h2")]
        widths = [78 * mm, 28 * mm, 68 * mm]
        story.append(self.table(["Parameter", "Wert", "Quelle"],
                                [[r["beschreibung"], r["wert"], r["quelle"]] for r in m["kandidaten"]], widths))
        story.append(self.p("3.2 Kriterien", "h2"))
        for i, k in enumerate(m["kriterien"], start=1):
            head = [self.p(f"3.2.{i} {k['titel']}" + (" (nur informativ)" if k["informativ"] else ""), "h3"),
                    self.p(k["beschreibung"] or "–", "small"),
                    self.p(f"Daten: {k['eingaben']}", "small"), Spacer(1, 1.5 * mm)]
            rows = [[r["beschreibung"], r["wert"], r["quelle"]] for r in k["parameter"]]
            story.append(KeepTogether(head + [self.table(["Parameter", "Wert", "Quelle"], rows or [["–", "–", "–"]],
                                                         widths)]))
        story += [self.p("3.3 Bewertungsregel", "h2"), self.p(m["regel"])]
        return story

    def statistics(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak

        story = [PageBreak(), self.p("4 Kennwerte je Kriterium", "h1"),
                 self.p("Verteilung des maßgeblichen Kennwerts über alle Flächen, gestapelt nach der Klasse des "
                        "Kriteriums; gestrichelt die Schwellenwerte der Konfiguration.")]
        for st in self.ctx["statistics"]:
            unit = f" ({st['einheit']})" if st["einheit"] else ""
            line = (f"{st['messgroesse']}{unit}: {st['n']} Flächen gemessen"
                    + (f", {st['fehlend']} ohne Wert" if st["fehlend"] else "")
                    + f"; Minimum {st['min']}, Median {st['median']}, Maximum {st['max']}.")
            story.append(KeepTogether([self.p(st["titel"], "h2"), self.p(line, "small"),
                                       self.img(f"hist:{st['name']}", 165 * mm)]))
        return story

    def decisions(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import PageBreak

        from reportlab.platypus import KeepTogether

        d = self.ctx["entscheidung"]
        story = [PageBreak(), self.p("5 Entscheidungshilfen", "h1"), self.p(DECISION_INTRO)]
        if d["hebel"]:
            story.append(self.p(d["texte"]["hebel"]))
        if d["sensitivitaet"]:
            story += [self.p("5.1 Empfindlichkeit der Schwellen", "h2"), self.p(SENSITIVITY_TEXT, "small"),
                      self.img("tornado", 165 * mm, 110 * mm)]
            rows = [[r["schwelle"], str(r["tiefer"]), str(r["hoeher"])] for r in d["sensitivitaet"]]
            story.append(self.table(["Schwelle (Basiswert)", "−20 %", "+20 %"], rows, [120 * mm, 25 * mm, 25 * mm],
                                    right=(1, 2)))
        if d["szenarien"]:
            rows = [[r["name"]] + r["werte"] for r in d["szenarien"]]
            cols = d["szenario_spalten"]
            w = 150 / max(len(cols), 1)
            story.append(KeepTogether([self.p("5.2 Szenarien", "h2"), self.p(SCENARIO_TEXT, "small"),
                                       self.table(["Szenario"] + cols, rows, [24 * mm] + [w * mm] * len(cols),
                                                  right=tuple(range(1, len(cols) + 1)))]))
        return story

    def sheet(self, s: dict, n_total: int) -> list:
        from reportlab.lib import colors
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepInFrame, PageBreak, Spacer, Table, TableStyle

        badge = Table([[self.p(s["klasse"], "cellb")]], colWidths=[42 * mm], hAlign="RIGHT")
        badge.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(s["farbe"])),
                                   ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        head = Table([[self.p(f"Steckbrief {s['nr']} von {n_total} · Fläche {s['id']}", "h2"), badge]],
                     colWidths=[130 * mm, 44 * mm], hAlign="LEFT")
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
        label = "Flurstück" if len(s["flurstuecke"]) == 1 else f"Flurstücke ({len(s['flurstuecke'])})"
        facts = [["Gemarkung", s["gemarkung"]], [label, parcels_by_flur(s["flurstuecke"])], ["Größe", s["flaeche"]],
                 ["Straße", s["strasse"]], ["Gesamtklasse", s["klasse"]], ["Entscheidend", s["entscheidend"]]]
        if s["nicht_bewertet"]:
            facts.append(["Nicht bewertet", s["nicht_bewertet"]])
        if s.get("vorlaeufig"):
            facts.append(["Vorläufig", s["vorlaeufig"]])
        if s.get("beteiligung"):
            facts.append(["Beteiligung", s["beteiligung"]])
        ft = Table([[self.p(a, "cellb"), self.p(b, "cell")] for a, b in facts], colWidths=[27 * mm, 57 * mm],
                   hAlign="LEFT")
        ft.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#d5dde4"))]))
        top = Table([[self.img(f"sheet:{s['id']}", 86 * mm), ft]], colWidths=[88 * mm, 86 * mm], hAlign="LEFT")
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
        crit_rows = [["", c["titel"], c["klasse"], c["wert"], c["grund"]] for c in s["kriterien"]]
        crit = self.table(["", "Kriterium", "Klasse", "Kennwert", "Begründung"], crit_rows,
                          [5 * mm, 35 * mm, 27 * mm, 22 * mm, 85 * mm], mark_col=0, right=(3,),
                          marks=[c["farbe"] for c in s["kriterien"]])
        notes = Table([[self.p("Notizen (Eigentümergespräch, Ortsbesichtigung, nächste Schritte):", "caption")]],
                      colWidths=[174 * mm], rowHeights=[45 * mm], hAlign="LEFT")
        notes.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#7d8b97")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        body = [head, Spacer(1, 2 * mm), top]
        if s["hinweise"]:
            body += [self.p("Planungsrechtliche Hinweise", "h3")] + [self.p("• " + h, "small") for h in s["hinweise"]]
        body += [self.p("Kriterien", "h3"), crit, self.p("Ergebnis", "h3"), self.p(s["zusammenfassung"] or "–")]
        if s["hebel"]:
            body += [self.p("Was müsste sich ändern?", "h3")] + [self.p("• " + h, "small") for h in s["hebel"]]
        body += [Spacer(1, 4 * mm), notes]
        return [PageBreak(), self.mark(f"sheet:{s['id']}"), KeepInFrame(174 * mm, 252 * mm, body, mode="shrink")]

    def annex(self) -> list:
        from reportlab.lib.units import mm
        from reportlab.platypus import KeepTogether, PageBreak, Preformatted

        c, m = self.ctx, self.ctx["annex"]
        story = [PageBreak(), self.mark("_annex"), self.p("Anhang", "h1"),
                 self.p("A.1 Datenquellen und Lizenzen", "h2")]
        rows = [[i["was"], i["datei"], i["datum"], i["quelle"]] for i in c["inputs"]] or [["–", "–", "–", "–"]]
        story += [self.table(["Daten", "Datei", "Stand", "Herkunft / Nutzungsbedingungen"], rows,
                             [62 * mm, 38 * mm, 20 * mm, 54 * mm]),
                  self.p("Die Nutzungs- und Lizenzbedingungen der Datenabgeber gelten; Quellenvermerke bei "
                         "Weitergabe übernehmen. Die Auswertung erfolgte mit der freien Software nachverdichtung "
                         "(MIT-Lizenz).", "small"),
                  self.p("A.2 Laufprotokoll", "h2"),
                  self.p(f"Gestartet: {m['gestartet']} · Konfigurationsdatei: {m['konfigurationsdatei']}", "small")]
        soft = [[r["name"], r["version"]] for r in m["software"]]
        story.append(KeepTogether([self.p("Software", "h3"), self.table(["Paket", "Version"], soft or [["–", "–"]],
                                                                         [60 * mm, 40 * mm])]))
        hashes = [[i["name"], i["pfad"], i["sha256"]] for i in c["inputs"]]
        if hashes:
            story += [self.p("Prüfsummen der Eingabedateien (SHA-256)", "h3"),
                      self.table(["Eingabe", "Pfad", "SHA-256"],
                                 [[a, self.p(b, "mono"), self.p(h, "mono")] for a, b, h in hashes],
                                 [30 * mm, 60 * mm, 84 * mm])]
        times = [[r["schritt"], r["sekunden"]] for r in m["zeiten"]] + [[r["was"], r["wert"]] for r in m["anzahl"]]
        if times:
            story.append(KeepTogether([self.p("Laufzeiten und Anzahlen", "h3"),
                                       self.table(["Schritt / Größe", "Wert"], times, [60 * mm, 40 * mm])]))
        if m["protokoll"]:
            story += [self.p("Hinweise beim Einlesen", "h3")] + [self.p("• " + t, "small") for t in m["protokoll"]]
        from reportlab.platypus.flowables import BalancedColumns

        story += [self.p("A.3 Effektive Konfiguration", "h2"),
                  self.p("So wurde dieser Lauf ausgeführt; mit dieser Datei lässt er sich wiederholen.", "small"),
                  BalancedColumns([Preformatted(m["konfiguration"] or "–", self.s["mono"])], nCols=2,
                                  spaceBefore=2 * mm)]
        return story

    def build(self, path: Path, *, progress: bool = False) -> dict:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm
        from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

        doc = BaseDocTemplate(str(path), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                              bottomMargin=16 * mm, title=f"{self.ctx['title']} – {self.ctx['study_area']}",
                              author="nachverdichtung", subject="Bauen in zweiter Reihe", lang="de-DE")
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="main", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])
        n = len(self.ctx["areas"])
        head = self.title_page() + self.summary() + self.overview() + self.method() + self.statistics()
        areas = bar(self.ctx["areas"], "Bericht PDF", total=n) if progress else self.ctx["areas"]
        story = LazyStory(head + self.decisions(), (self.sheet(s, n) for s in areas), self.annex)
        from reportlab import rl_config

        # binary (not ASCII85) image streams: valid PDF, smaller, and much faster without rl_accel
        old = rl_config.useA85
        rl_config.useA85 = 0
        try:
            doc.build(story)
        finally:
            rl_config.useA85 = old
        sheets = [self.pages[f"sheet:{s['id']}"] for s in self.ctx["areas"]]
        return {"seiten": self.last_page, "steckbrief_seiten": sheets, "feste_seiten": self.last_page - len(sheets)}

