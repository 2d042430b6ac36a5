"""Letters to the owners (one PDF per addressee, German, reportlab) and the mail-merge table.

Each letter names the areas and only this addressee's parcels, shows a small map with the area
outline and these parcels (no neighbour's parcel, number or building), asks the office's
questions, carries a reply form with the reference code and the information under Art. 13/14
DSGVO. Letters are files; nothing is sent.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..export.report import parcel_label, parcels_by_flur
from .store import private_file

__all__ = ["write_letter", "write_serienbrief", "letter_text", "MAP_SIZE_MM"]

MAP_SIZE_MM = (80.0, 48.0)


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    from ..export.report_pdf import PdfBuilder as _PdfBuilder

    _PdfBuilder._fonts()
    base = ParagraphStyle("b", fontName="DejaVu", fontSize=9.5, leading=13, spaceAfter=4,
                          textColor=colors.HexColor("#222222"))
    return {"body": base,
            "small": ParagraphStyle("s", parent=base, fontSize=7.5, leading=9.5),
            "h": ParagraphStyle("h", parent=base, fontName="DejaVu-Bold", fontSize=11, leading=15, spaceAfter=6),
            "h2": ParagraphStyle("h2", parent=base, fontName="DejaVu-Bold", fontSize=9.5, leading=13, spaceBefore=6),
            "cell": ParagraphStyle("c", parent=base, fontSize=8, leading=10),
            "box": ParagraphStyle("x", parent=base, fontSize=9.5, leading=15, leftIndent=14, firstLineIndent=-14)}


def letter_text(office, *, referenz: str, deadline: date) -> dict[str, list[str]]:
    """The fixed German texts of a letter (paragraphs per section); ``office`` is an ``OwnersConfig``."""
    return {
        "intro": [
            "Sehr geehrte Damen und Herren,",
            "die Stadt möchte neuen Wohnraum vorrangig im bestehenden Siedlungsgebiet schaffen, statt neue Flächen "
            "am Ortsrand zu versiegeln (Vorrang der Innenentwicklung, § 1 Abs. 5 und § 1a Abs. 2 BauGB). Dazu hat sie "
            "untersucht, wo im rückwärtigen Bereich bebauter Grundstücke (»zweite Reihe«) neue Bauplätze entstehen "
            "könnten. Zu den untersuchten Flächen gehören Flurstücke, bei denen Sie im Liegenschaftskataster als "
            "Eigentümer oder Berechtigte geführt werden.",
            "Bevor die Stadt für eine Fläche Planungen aufnimmt, möchte sie wissen, ob die Eigentümerinnen und "
            "Eigentümer daran mitwirken möchten. Ihre Antwort ist freiwillig, verpflichtet Sie zu nichts und ist "
            "kostenlos. Ohne Ihre Zustimmung wird nichts auf Ihrem Grundstück gebaut.",
        ],
        "questions": [
            "Hätten Sie Interesse, auf der Fläche selbst zu bauen oder bauen zu lassen?",
            "Hätten Sie Interesse, die Fläche oder einen Teil davon zu verkaufen?",
            "Haben Sie Bedenken (z. B. Nachbarschaft, Zufahrt, Bäume, eigene Nutzung des Gartens)?",
            "Möchten Sie über das weitere Verfahren informiert werden?",
        ],
        "reply": [
            f"Bitte senden Sie den Antwortbogen bis zum {deadline:%d.%m.%Y} an {office.stelle}, "
            f"{office.stelle_anschrift}, oder nennen Sie uns Ihre Antwort mit dem Zeichen {referenz}.",
            "Mit freundlichen Grüßen",
            office.stelle,
        ],
    }


def _privacy(office, retention_months: int) -> list[tuple[str, str]]:
    """Information under Art. 13 and 14 DSGVO (heading, text)."""
    return [
        ("Verantwortlicher", f"{office.stelle}, {office.stelle_anschrift}. Datenschutzbeauftragte/r: "
                             f"{office.datenschutz_kontakt}."),
        ("Zweck und Rechtsgrundlage", "Abfrage der Mitwirkungsbereitschaft für die Innenentwicklung und Vorbereitung "
         "der Bauleitplanung (§ 1 Abs. 3 und 5, § 1a Abs. 2, § 200 Abs. 3 BauGB); Art. 6 Abs. 1 Buchst. e DSGVO in "
         "Verbindung mit dem Landesdatenschutzgesetz. Ihre Antwort ist freiwillig."),
        ("Herkunft der Daten (Art. 14 DSGVO)", "Name, Anschrift und Eigentumsanteil stammen aus dem amtlichen "
         "Liegenschaftskataster (ALKIS), das die Vermessungs- und Katasterverwaltung der Stadt für Aufgaben der "
         "Bauleitplanung bereitstellt. Verarbeitet werden nur die Angaben zu den hier genannten Flurstücken."),
        ("Empfänger", "Keine. Die Angaben bleiben in der Stadtplanung; sie werden nicht veröffentlicht und nicht an "
         "Dritte übermittelt. Veröffentlicht werden nur der Stand der Beteiligung je Fläche ohne Namen und, wenn "
         "Sie nicht widersprechen, die Fläche im Baulandkataster (Flurstücksnummer, Straße, Größe)."),
        ("Speicherdauer", f"Die Angaben werden gelöscht, sobald sie für die Planung nicht mehr erforderlich sind, "
         f"spätestens {retention_months} Monate nach Beginn dieser Abfrage; danach bleibt nur die Zahl der Antworten je Fläche."),
        ("Ihre Rechte", "Auskunft (Art. 15), Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung der "
         "Verarbeitung (Art. 18) und Widerspruch (Art. 21 DSGVO). Sie können sich bei der Aufsichtsbehörde beschweren "
         "(in Rheinland-Pfalz: Der Landesbeauftragte für den Datenschutz und die Informationsfreiheit)."),
        ("Baulandkataster (§ 200 Abs. 3 BauGB)", "Die Stadt kann bebaubare Flächen in Karten oder Listen "
         "veröffentlichen, soweit die Eigentümer nicht widersprochen haben. Die Absicht wird einen Monat vorher "
         "öffentlich bekannt gemacht. Mit dem Antwortbogen können Sie schon jetzt widersprechen."),
    ]


def _map(area_geom, parcel_geoms: list, labels: list[str]):
    """A reportlab Drawing: area outline (dashed), this addressee's parcels (filled), numbers, scale bar."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, String
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    w, h = MAP_SIZE_MM[0] * mm, MAP_SIZE_MM[1] * mm
    geoms = [g for g in [area_geom, *parcel_geoms] if g is not None and not g.is_empty]
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.array(geoms, dtype=object))
    pad = 0.08 * max(xmax - xmin, ymax - ymin, 1.0)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    s = min(w / (xmax - xmin), (h - 8) / (ymax - ymin))
    d = Drawing(w, h)

    def rings(g):
        for poly in getattr(g, "geoms", [g]):
            if poly.geom_type == "Polygon":
                yield [v for x, y in np.asarray(poly.exterior.coords) for v in ((x - xmin) * s, (y - ymin) * s + 8)]

    for g, lab in zip(parcel_geoms, labels):
        for pts in rings(g):
            d.add(Polygon(pts, fillColor=colors.HexColor("#fff3b0"), strokeColor=colors.HexColor("#7f6a00"),
                          strokeWidth=0.6))
        c = g.representative_point()
        d.add(String((c.x - xmin) * s, (c.y - ymin) * s + 8, lab, fontName="DejaVu", fontSize=6, textAnchor="middle"))
    for pts in rings(area_geom):
        d.add(Polygon(pts, fillColor=None, strokeColor=colors.HexColor("#d7191c"), strokeWidth=1.2,
                      strokeDashArray=[3, 2]))
    bar = 10 ** np.floor(np.log10(max((xmax - xmin) / 4, 1)))
    d.add(Line(4, 3, 4 + bar * s, 3, strokeWidth=1.2))
    d.add(String(6 + bar * s, 1.5, f"{bar:g} m", fontName="DejaVu", fontSize=6))
    return d


def _area_block(st, area: pd.Series, rows: pd.DataFrame, parcels: gpd.GeoDataFrame) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Table, TableStyle

    labels = [parcel_label(k) for k in rows["flstkennz"]]
    own = parcels.reindex(rows["flstkennz"])
    cells = [[Paragraph(f"<b>Fläche {escape(str(area.name))}</b>", st["cell"]), ""],
             [Paragraph("Einschätzung der Stadt", st["cell"]), Paragraph(escape(str(area.get("klasse", ""))), st["cell"])],
             [Paragraph("Größe der Fläche", st["cell"]), Paragraph(f"{area.get('flaeche_m2', 0):,.0f} m²".replace(",", "."), st["cell"])],
             [Paragraph(f"Ihre Flurstücke (Gemarkung {labels[0]['gemarkung']})", st["cell"]),
              Paragraph(escape(parcels_by_flur(labels)), st["cell"])],
             [Paragraph("Art und Anteil", st["cell"]),
              Paragraph(escape("; ".join(sorted({f"{r} {a}".strip() for r, a in zip(rows["rolle"], rows["anteil"])}))),
                        st["cell"])]]
    table = Table(cells, colWidths=[45 * mm, 45 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("SPAN", (0, 0), (1, 0)),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, "#888888")]))
    drawing = _map(area.geometry, list(own.geometry), [p["flurstueck"] for p in labels])
    return [KeepTogether([Table([[table, drawing]], colWidths=[92 * mm, 82 * mm],
                                style=[("VALIGN", (0, 0), (-1, -1), "TOP")])])]


def _address(st, who: pd.Series, office) -> list:
    from reportlab.platypus import Paragraph, Spacer

    lines = [who["name"], *([who["zusatz"]] if who["zusatz"] and len(who["zusatz"]) < 90 else []),
             who["strasse"], who["plz_ort"], *([who["land"]] if who["land"] else [])]
    return [Paragraph(escape(f"{office.stelle} · {office.stelle_anschrift}"), st["small"]), Spacer(1, 4),
            Paragraph("<br/>".join(escape(str(x)) for x in lines if x), st["body"])]


def _reply_form(st, referenz: str, area_ids: list[str], office) -> list:
    from reportlab.platypus import Paragraph, Spacer

    box = "\u2610"
    out = [Paragraph("Antwortbogen", st["h"]),
           Paragraph(escape(f"Zeichen: {referenz} · Flächen: {', '.join(area_ids)} · zurück an {office.stelle}, "
                            f"{office.stelle_anschrift}"), st["small"]), Spacer(1, 6)]
    items = ["Ich habe Interesse, auf der Fläche zu bauen oder bauen zu lassen.",
             "Ich habe Interesse, die Fläche oder einen Teil davon zu verkaufen.",
             "Ich habe kein Interesse.",
             "Ich habe eine Rückfrage; bitte rufen Sie mich an: ______________________",
             "Ich möchte über das weitere Verfahren informiert werden.",
             "Ich widerspreche der Veröffentlichung meiner Flurstücke im Baulandkataster (§ 200 Abs. 3 BauGB)."]
    out += [Paragraph(f"{box} {escape(t)}", st["box"]) for t in items]
    out += [Spacer(1, 6), Paragraph("Bedenken und Hinweise:", st["body"])]
    out += [Paragraph("_" * 86, st["body"]) for _ in range(4)]
    out += [Spacer(1, 14), Paragraph("Ort, Datum ______________________    Unterschrift ______________________________",
                                     st["body"])]
    return out


def write_letter(path: Path, who: pd.Series, referenz: str, rows: pd.DataFrame, areas: gpd.GeoDataFrame,
                 parcels: gpd.GeoDataFrame, office, *, today: date) -> Path:
    """Write one letter PDF (mode 0600).

    Parameters
    ----------
    who
        The addressee (``name, zusatz, strasse, plz_ort, land``).
    rows
        This addressee's parcels: ``flaeche_id, flstkennz, rolle, anteil``.
    areas, parcels
        Areas (index ``flaeche_id``, with ``klasse``, ``flaeche_m2``) and parcels (index ``flstkennz``) as
        written by ``assess``; only the rows named in ``rows`` are drawn.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    st = _styles()
    deadline = today + timedelta(days=office.antwort_tage)
    text = letter_text(office, referenz=referenz, deadline=deadline)
    area_ids = list(dict.fromkeys(rows["flaeche_id"]))
    story = [*_address(st, who, office), Spacer(1, 10 * mm),
             Paragraph(escape(f"Unser Zeichen: {referenz} · {today:%d.%m.%Y}"), st["small"]), Spacer(1, 4 * mm),
             Paragraph("Bauen in zweiter Reihe: Möchten Sie mitwirken?", st["h"])]
    if who["zusatz"] and len(who["zusatz"]) >= 90:
        story.append(Paragraph(escape(who["zusatz"]), st["small"]))
    story += [Paragraph(escape(t), st["body"]) for t in text["intro"]]
    story.append(Paragraph("Ihre Flurstücke in den untersuchten Flächen", st["h2"]))
    for fid in area_ids:
        story += _area_block(st, areas.loc[fid], rows[rows["flaeche_id"] == fid], parcels)
        story.append(Spacer(1, 3 * mm))
    story.append(Paragraph("Unsere Fragen an Sie", st["h2"]))
    story += [Paragraph(f"{i}. {escape(q)}", st["body"]) for i, q in enumerate(text["questions"], start=1)]
    story += [Spacer(1, 3 * mm), *[Paragraph(escape(t), st["body"]) for t in text["reply"]]]
    story += [PageBreak(), *_reply_form(st, referenz, area_ids, office), PageBreak(),
              Paragraph("Informationen zum Datenschutz (Art. 13 und 14 DSGVO)", st["h"])]
    for head, body in _privacy(office, office.aufbewahrung_monate):
        story += [Paragraph(escape(head), st["h2"]), Paragraph(escape(body), st["body"])]
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=22 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=16 * mm, title=f"Anschreiben {referenz}", author=office.stelle)
    doc.build(story, onFirstPage=_footer(referenz), onLaterPages=_footer(referenz))
    return private_file(path)


def _footer(referenz: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont("DejaVu", 7)
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 10 * 2.835, f"{referenz} · Seite {doc.page}")
        canvas.restoreState()
    return draw


def write_serienbrief(path: Path, addressees: pd.DataFrame, rows: pd.DataFrame) -> Path:
    """``serienbrief.csv``: one row per addressee (reference code, name, address, areas, parcels), mode 0600."""
    labels = rows.assign(nr=rows["flstkennz"].map(lambda k: parcel_label(k)["flurstueck"]),
                         flur=rows["flstkennz"].map(lambda k: parcel_label(k)["flur"]))
    per = labels.groupby("referenz").agg(
        flaechen=("flaeche_id", lambda s: ", ".join(dict.fromkeys(s))),
        flurstuecke=("flstkennz", lambda s: ", ".join(dict.fromkeys(s))))
    a = addressees.reset_index().set_index("referenz")
    table = a[["art", "name", "zusatz", "strasse", "plz_ort", "land"]].join(per).reset_index()
    table.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return private_file(path)
