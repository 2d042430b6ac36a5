"""CSV for German Excel and the formatted XLSX: values read back equal the assessment."""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest

from nachverdichtung.export.tables import (
    area_table,
    column_widths,
    parcel_table,
    write_csv,
    write_xlsx,
)

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


def _cell(value):
    """What openpyxl reads back for a table value: missing values and empty texts as empty cells."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value == "":
        return None
    return value.item() if isinstance(value, np.generic) else value


def test_xlsx_cells_equal_the_tables(assessment, tmp_path):
    (path,) = write_xlsx(assessment, tmp_path)
    wb = openpyxl.load_workbook(path)
    for name, table in (("Bewertung", area_table(assessment)), ("Flurstücke", parcel_table(assessment))):
        ws = wb[name]
        assert [c.value for c in ws[1]] == list(table.columns)
        got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        assert got == [[_cell(v) for v in row] for row in table.astype(object).itertuples(index=False)], name
        widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(j + 1)].width for j in range(table.shape[1])]
        assert widths == column_widths(table)


def test_column_widths_measure_every_value_as_text():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({
        "f": np.r_[rng.normal(size=97) * 1e5, -0.0, np.nan, 1e17], "f32": rng.normal(size=100).astype(np.float32),
        "nan": np.nan, "i": rng.integers(-10**12, 10**12, 100), "b": rng.random(100) > 0.5,
        "s": ["ä" * i if i % 3 else None for i in range(100)], "z": [0.0] * 99 + [-0.0],
        "I": pd.array([None] * 50 + [123456] * 50, dtype="Int64"), "t": pd.Timestamp("2024-01-01 10:00"),
        "o": pd.Series([1, "xx", None, 2.5] * 25, dtype=object)})
    naive = [min(max([len(str(c))] + [len(str(v)) for v in df[c].astype(object) if not pd.isna(v)]) + 2, 60)
             for c in df.columns]
    assert column_widths(df) == naive
    assert column_widths(df.iloc[:0]) == [len(c) + 2 for c in df.columns]
