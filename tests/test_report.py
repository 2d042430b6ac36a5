"""Report (HTML + PDF): German text rules, parcel labels, thresholds, figures, page identity.

PDF checks use poppler (``pdfinfo``/``pdftotext``) as an independent reader and skip when it is
missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
import shapely
from matplotlib.path import Path as MplPath

from .districts import make_layers, street_row
from nachverdichtung.config import config_from_dict
from nachverdichtung.criteria.topographie import TopographyParams
from nachverdichtung.criteria.zuschnitt import PlotParams
from nachverdichtung.export.figures import geometry_paths
from nachverdichtung.export.report import (class_sentence, parcel_label, render_pdf, report_context,
                                           report_figures, render_html, thresholds_for,
                                           write_report)
from nachverdichtung.pipeline import assess

POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfinfo, pdftotext) not installed")


def counts(g, b, n, u=0):
    return {"geeignet": g, "bedingt geeignet": b, "nicht geeignet": n, "nicht bewertet": u}


@pytest.mark.parametrize("c, expected", [
    (counts(0, 45, 92), "Von 137 untersuchten Flächen ist keine geeignet, 45 sind bedingt geeignet und "
                        "92 sind nicht geeignet."),
    (counts(1, 0, 2), "Von 3 untersuchten Flächen ist eine geeignet, keine ist bedingt geeignet und "
                      "2 sind nicht geeignet."),
    (counts(3, 1, 0, 2), "Von 6 untersuchten Flächen sind 3 geeignet, eine ist bedingt geeignet, keine ist "
                         "nicht geeignet und 2 konnten nicht bewertet werden."),
    (counts(0, 2, 0, 1), "Von 3 untersuchten Flächen ist keine geeignet, 2 sind bedingt geeignet, keine ist "
                         "nicht geeignet und eine konnte nicht bewertet werden."),
    (counts(0, 0, 1), "Die einzige untersuchte Fläche ist nicht geeignet."),
    (counts(0, 0, 0, 1), "Die einzige untersuchte Fläche konnte nicht bewertet werden."),
    (counts(0, 0, 0), "Es wurden keine Potenzialflächen gefunden."),
])
def test_class_sentence_german_for_zero_one_many(c, expected):
    assert class_sentence(c) == expected


@pytest.mark.parametrize("kennz, gemarkung, flur, nr", [
    ("072566001001230004__", "2566", 1, "123/4"),
    ("072566003000170000__", "2566", 3, "17"),
    ("071234012000050012__", "1234", 12, "5/12"),
    ("0725660010000900", "2566", 1, "9"),        # short (unpadded) id
])
def test_parcel_label_parses_flstkennz(kennz, gemarkung, flur, nr):
    p = parcel_label(kennz)
    assert (p["gemarkung"], p["flur"], p["flurstueck"]) == (gemarkung, flur, nr)


def test_thresholds_only_for_matching_unit():
    assert [t for t, _ in thresholds_for(TopographyParams(), "neigung_mittel_pct")] == [10.0, 20.0]
    assert [t for t, _ in thresholds_for(TopographyParams(bedingt_ab_pct=7.5), "neigung_p90_pct")] == [7.5, 20.0]
    # degrees are not percent: no line drawn at the wrong place
    assert thresholds_for(TopographyParams(), "neigung_mittel_grad") == []
    # the plot criterion classifies by fit, it has no numeric thresholds
    assert thresholds_for(PlotParams(), "bauplaetze_anzahl") == []
    assert thresholds_for(None, "x_m") == []


def _rendered(path, points):
    """Pixel darkness at ``points`` when ``path`` is filled black on a 100 × 100 px canvas of 0…40 m."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.add_collection(PathCollection([path], facecolor="black", edgecolor="none"))
    ax.set_xlim(0, 40)
    ax.set_ylim(0, 40)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., 0]
    return [img[100 - int(y * 2.5) - 1, int(x * 2.5)] < 128 for x, y in points]


def test_geometry_paths_keep_holes_and_multiparts():
    ring = shapely.box(0, 0, 20, 20).difference(shapely.box(6, 6, 14, 14))
    multi = shapely.MultiPolygon([shapely.box(22, 0, 26, 4), shapely.box(32, 0, 36, 4)])
    p_ring, p_multi = geometry_paths([ring, multi])
    assert (p_ring.codes == MplPath.MOVETO).sum() == 2 and (p_multi.codes == MplPath.MOVETO).sum() == 2
    # filled ring, empty hole; both parts of the multipolygon, nothing between them
    assert _rendered(p_ring, [(3, 3), (10, 10)]) == [True, False]
    assert _rendered(p_multi, [(24, 2), (34, 2), (29, 2)]) == [True, True, False]


@pytest.fixture(scope="module")
def row_assessment():
    """Six 20 × 60 m parcels on one street (tests/districts.py): six areas 2566-1-1-a … 2566-1-6-a."""
    cfg = {"alkis": {"path": "."}, "candidates": {"merge_block_interiors": False},
           "output": {"study_area": "Gärtnerstraße Süd"}}
    return assess(config_from_dict(cfg), layers=make_layers(*street_row(), road_names=["Große Straße"]))


def test_block_interior_lists_every_parcel():
    """Merged backland of the six-parcel row: one area, six parcels, each an owner to ask."""
    a = assess(config_from_dict({"alkis": {"path": "."}}), layers=make_layers(*street_row()))
    assert len(a.areas) == 1
    s = report_context(a)["areas"][0]
    assert [p["flurstueck"] for p in s["flurstuecke"]] == ["1", "2", "3", "4", "5", "6"]
    assert s["flaeche"] == "4.800 m²"
    assert s["flurstuecke_text"] == "Flur 1: 1, 2, 3, 4, 5, 6"


@pytest.fixture(scope="module")
def row_report(row_assessment):
    """Context and figures of the six-area report (rendered once for the module)."""
    ctx = report_context(row_assessment)
    return ctx, report_figures(row_assessment, ctx)


def test_context_fact_sheets(row_assessment):
    ctx = report_context(row_assessment)
    ids = [s["id"] for s in ctx["areas"]]
    assert ids == [f"2566-1-{i}-a" for i in range(1, 7)]
    s = ctx["areas"][1]
    assert s["nr"] == 2
    assert [(p["flur"], p["flurstueck"]) for p in s["flurstuecke"]] == [(1, "2")]
    # 60 m deep parcel minus the 17 m rear building line and 3 m setback = 40 m × 20 m
    assert s["flaeche"] == "800 m²"
    assert any(h.startswith("Faktische hintere Baulinie der Große Straße: 17 m") for h in s["hinweise"])
    assert [c["name"] for c in s["kriterien"]] == list(row_assessment.criteria)
    zu = next(c for c in s["kriterien"] if c["name"] == "zuschnitt")
    assert (zu["klasse"], zu["wert"]) == ("geeignet", "2")
    assert ctx["summary"]["flurstuecke"] == {"gesamt": 6, "kandidat": 6, "ausgeschlossen": 0, "gruende": []}
    # the method chapter lists the effective parameters, e.g. the 3 m setback with its statute
    zm = next(m for m in ctx["method"]["kriterien"] if m["name"] == "zuschnitt")
    setback = next(r for r in zm["parameter"] if r["schluessel"] == "setback_m")
    assert setback["wert"] == "3 m" and "LBauO" in setback["quelle"]


def _pdftext(path, first=None, last=None) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(first), "-l", str(last)] if first else []) + [str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", out).group(1))


@needs_poppler
def test_pdf_one_page_per_area_and_umlauts(row_report, tmp_path):
    ctx, figs = row_report
    info = render_pdf(ctx, figs, tmp_path / "bericht.pdf")
    n = len(ctx["areas"])
    pages = _pages(tmp_path / "bericht.pdf")
    assert pages == info["seiten"] == info["feste_seiten"] + n
    sheets = info["steckbrief_seiten"]
    assert np.diff(sheets).tolist() == [1] * (n - 1)          # consecutive, one page each
    for page, s in zip(sheets, ctx["areas"]):
        text = _pdftext(tmp_path / "bericht.pdf", page, page)
        assert f"Fläche {s['id']}" in text
        others = [o["id"] for o in ctx["areas"] if o["id"] != s["id"]]
        assert not any(f"Fläche {o}" in text for o in others)
        assert "Flurstück" in text and "Notizen" in text
    text = _pdftext(tmp_path / "bericht.pdf")
    for word in ("Flächen", "Größe", "Straße", "Gärtnerstraße Süd", "Übersichtskarte", "§ 34 BauGB"):
        assert word in text
    assert "Von 6 untersuchten Flächen" in text


@needs_poppler
def test_html_self_contained(row_report):
    html = render_html(*row_report)
    srcs = re.findall(r'src="([^"]*)"', html)
    # overview, bar chart, one snippet per area, at least one histogram; all embedded
    assert len(srcs) >= 2 + 6 + 1
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<link" not in html and "http://" not in html and "https://" not in html
    for i in range(1, 7):
        assert f"Fläche 2566-1-{i}-a" in html
    assert "Größe" in html and "Große Straße" in html


@needs_poppler
def test_report_without_areas(row_assessment, tmp_path):
    """No candidate areas still gives a valid report with the parcel accounting."""
    import dataclasses

    a = dataclasses.replace(row_assessment, areas=row_assessment.areas.iloc[:0])
    paths = write_report(a, tmp_path)
    assert [p.name for p in paths] == ["bericht.html", "bericht.pdf"]
    text = _pdftext(tmp_path / "bericht.pdf")
    assert "Es wurden keine Potenzialflächen gefunden." in text
    assert "6 Flurstücke wurden geprüft" in text
    assert "Steckbrief 1 von" not in text


@pytest.mark.slow
@needs_poppler
def test_sample_report_pages(sample_assessment, tmp_path):
    """The sample district's report: fixed pages + exactly one page per area, every id on its page."""
    ctx = report_context(sample_assessment)
    info = render_pdf(ctx, report_figures(sample_assessment, ctx), tmp_path / "bericht.pdf")
    n = len(sample_assessment.areas)
    assert n > 0
    assert _pages(tmp_path / "bericht.pdf") == info["feste_seiten"] + n
    assert np.diff(info["steckbrief_seiten"]).tolist() == [1] * (n - 1)
    text = _pdftext(tmp_path / "bericht.pdf")
    for fid in sample_assessment.areas.index:
        assert f"Fläche {fid}" in text


def test_thresholds_prefer_the_measures_own_fields():
    from dataclasses import dataclass

    from nachverdichtung.params import param

    @dataclass(frozen=True)
    class NoiseLike:
        lden_bedingt_ab_db: float = param(55.0, doc="x", unit="dB(A)")
        lden_nicht_ab_db: float = param(65.0, doc="x", unit="dB(A)")
        lnight_bedingt_ab_db: float = param(45.0, doc="x", unit="dB(A)")
        breite_min_m: float = param(1.25, doc="x", unit="m")

    assert [t for t, _ in thresholds_for(NoiseLike(), "lden_mittel_db")] == [55.0, 65.0]
    assert thresholds_for(NoiseLike(), "breite_m") == [(1.25, "Mindestwert 1,25")]


def test_rerender_from_written_gpkg(row_assessment, tmp_path):
    """The report re-rendered from the GeoPackage says the same as the one from the live run."""
    from nachverdichtung.export import write_outputs
    from nachverdichtung.reporting import load_saved_assessment

    write_outputs(row_assessment, tmp_path, formats=["gpkg"])
    saved = load_saved_assessment(tmp_path, layers=row_assessment.layers)
    live, back = report_context(row_assessment), report_context(saved)
    assert back["summary"]["satz"] == live["summary"]["satz"]
    assert back["summary"]["kriterien"] == live["summary"]["kriterien"]
    assert back["summary"]["flurstuecke"] == live["summary"]["flurstuecke"]
    strip = lambda sheets: [{k: v for k, v in s.items() if k != "geometry"} for s in sheets]
    assert strip(back["areas"]) == strip(live["areas"])


def test_rerender_needs_a_run(tmp_path):
    from nachverdichtung.errors import InputError
    from nachverdichtung.reporting import load_saved_assessment

    with pytest.raises(InputError, match="nachverdichtung.gpkg fehlt"):
        load_saved_assessment(tmp_path)


@needs_poppler
def test_rerender_report_replaces_only_report_files(row_assessment, tmp_path, monkeypatch):
    import nachverdichtung.reporting as reporting
    from nachverdichtung.export import write_outputs

    write_outputs(row_assessment, tmp_path, formats=["gpkg"])
    (tmp_path / "protokoll.txt").write_text("Original", encoding="utf-8")
    load = reporting.load_saved_assessment
    monkeypatch.setattr(reporting, "load_saved_assessment",
                        lambda out, **kw: load(out, layers=row_assessment.layers, **kw))
    paths = reporting.rerender_report(tmp_path)
    assert [p.name for p in paths] == ["bericht.html", "bericht.pdf"]
    assert (tmp_path / "protokoll.txt").read_text(encoding="utf-8") == "Original"
    assert _pages(tmp_path / "bericht.pdf") > len(row_assessment.areas)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".nachverdichtung-")]


def test_method_speaks_german_to_the_council(row_assessment):
    """No English keywords or internal document references in the method chapter."""
    m = report_context(row_assessment)["method"]
    rows = m["kandidaten"] + [r for k in m["kriterien"] for r in k["parameter"]]
    mode = next(r for r in m["kandidaten"] if r["schluessel"] == "mode")
    assert mode["wert"] == "ableiten"
    assert not [r for r in rows if ".md" in r["quelle"] or "[U]" in r["quelle"]]
    slope = next(r for k in m["kriterien"] if k["name"] == "topographie" for r in k["parameter"]
                 if r["schluessel"] == "bedingt_ab_pct")
    assert (slope["wert"], slope["quelle"]) == ("10 %", "keine gesetzliche Schwelle (fachliche Annahme)")
    assert next(k for k in m["kriterien"] if k["name"] == "topographie")["eingaben"] == "Geländemodell"
