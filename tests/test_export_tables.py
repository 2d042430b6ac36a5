"""CSV for German Excel and the formatted XLSX: values read back equal the assessment."""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest

from nachverdichtung.export.tables import write_csv, write_xlsx

from .test_export_gis import CLASSES, LONG, four_class_assessment


@pytest.fixture(scope="module")
def assessment():
    return four_class_assessment()


def test_csv_german_excel(assessment, tmp_path):
    paths = write_csv(assessment, tmp_path)
    assert [p.name for p in paths] == ["bewertung.csv", "flurstuecke.csv"]
    raw = (tmp_path / "bewertung.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel detects UTF-8
    header, first = raw[3:].decode("utf-8").splitlines()[:2]
    assert header.split(";")[:2] == ["flaeche_id", "quelle"]
    # decimal comma: 800.0 m² is written "800,0"
    assert first.split(";")[header.split(";").index("flaeche_m2")] == "800,0"
    back = pd.read_csv(tmp_path / "bewertung.csv", sep=";", decimal=",", encoding="utf-8-sig")
    areas = assessment.areas
    assert list(back["flaeche_id"]) == list(areas.index)
    assert list(back["klasse"]) == CLASSES
    assert back["zusammenfassung"].iloc[2] == LONG  # full text
    np.testing.assert_allclose(back["starkregen_wassertiefe_max_m"], areas["starkregen_wassertiefe_max_m"])
    np.testing.assert_allclose(back["zuschnitt_kompaktheit"], areas["zuschnitt_kompaktheit"])
    parcels = pd.read_csv(tmp_path / "flurstuecke.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(parcels) == len(assessment.parcels)
    assert parcels["grund"].iloc[-1] == "ungültige Geometrie, nicht reparierbar"


def test_csv_separator_and_decimal_configurable(assessment, tmp_path):
    out = dataclasses.replace(assessment.config.output, csv_separator=",", csv_decimal=".")
    a = dataclasses.replace(assessment, config=dataclasses.replace(assessment.config, output=out))
    write_csv(a, tmp_path)
    back = pd.read_csv(tmp_path / "bewertung.csv", encoding="utf-8-sig")
    assert back["flaeche_m2"].tolist() == [800.0] * 6
    assert list(back["klasse"]) == CLASSES


def test_xlsx_formatting(assessment, tmp_path):
    (path,) = write_xlsx(assessment, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Bewertung", "Flurstücke"]
    ws = wb["Bewertung"]
    header = [c.value for c in ws[1]]
    assert header[0] == "flaeche_id" and all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "B2"  # header row and id column stay visible
    assert ws.auto_filter.ref
    assert ws.max_row == 1 + len(assessment.areas)
    k = header.index("klasse") + 1
    assert [ws.cell(r, k).value for r in range(2, 8)] == CLASSES
    fills = [ws.cell(r, k).fill.start_color.rgb[-6:] for r in range(2, 6)]
    assert fills == ["1A9641", "F28C28", "D7191C", "9E9E9E"]
    z = header.index("zusammenfassung") + 1
    assert ws.cell(4, z).value == LONG
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(z)].width
    assert width == 60  # capped; the id column fits its content
    assert ws.column_dimensions["A"].width == len("2566-1-1-a") + 2
    m = header.index("flaeche_m2") + 1
    assert ws.cell(2, m).value == pytest.approx(800.0)
    parcels = wb["Flurstücke"]
    assert parcels.max_row == 1 + len(assessment.parcels)
    s = [c.value for c in parcels[1]].index("status") + 1
    assert parcels.cell(2, s).value == "Kandidat"
    assert parcels.cell(2, s).fill.start_color.rgb[-6:] == "FFF3B0"
