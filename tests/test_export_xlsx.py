"""The streaming XLSX writer: what openpyxl reads back equals what pandas' own openpyxl export holds."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd

from nachverdichtung.export.xlsx import CHUNK_ROWS, Sheet, column_letters, write_workbook


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "id": [f"a-{i}" for i in range(n)],
        "text": ["Zufahrt < 3 m & \"schmal\"", None, "Straße\x01mit Steuerzeichen", "ok"] * (n // 4),
        "ganz": rng.integers(-5, 10**9, n),
        "halb": pd.array([1, None] * (n // 2), dtype="Int64"),
        "wert": np.r_[rng.normal(size=n - 3), np.nan, np.inf, -np.inf],
        "ja": rng.random(n) > 0.5,
        "vielleicht": pd.array([True, None, False, True] * (n // 4), dtype="boolean"),
        "klasse": ["geeignet", "nicht geeignet", "unbekannt", None] * (n // 4),
    })


def _values(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_values_read_back_like_pandas_openpyxl_export(tmp_path):
    n = CHUNK_ROWS + 8  # more than one streamed block
    df = _frame(n)
    ref = tmp_path / "ref.xlsx"
    # openpyxl refuses XML control characters outright; the streaming writer drops them
    df.assign(text=df["text"].str.replace("\x01", "")).to_excel(ref, index=False, engine="openpyxl")
    path = write_workbook(tmp_path / "neu.xlsx", [Sheet("Daten & mehr", df, [10.0] * df.shape[1])], {})
    a, b = _values(openpyxl.load_workbook(ref).active), _values(openpyxl.load_workbook(path).active)
    assert len(a) == len(b) == n + 1
    for ra, rb in zip(a, b):
        for va, vb in zip(ra, rb):
            if isinstance(va, float) and isinstance(vb, (int, float)):
                assert (math.isnan(va) and math.isnan(vb)) or math.isclose(va, vb, rel_tol=1e-15)
            else:
                assert va == vb or (va in ("", None) and vb in ("", None)), (va, vb)
    # openpyxl rounds to 15-16 digits; the streaming writer keeps the shortest exact repr
    w = [r[4] for r in b[1:n - 2]]
    assert w == df["wert"].iloc[:n - 3].tolist()


def test_styles_freeze_filter_widths(tmp_path):
    df = _frame(8)
    styles = {"gruen": ("#1a9641", True), "rot": ("#d7191c", False)}
    sheet = Sheet("Bewertung", df, [12.0, 60.0] + [8.0] * 6, {"klasse": {"geeignet": "gruen", "nicht geeignet": "rot"}})
    path = write_workbook(tmp_path / "b.xlsx", [sheet, Sheet("Leer", df.iloc[:0], [5.0] * 8)], styles)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Bewertung", "Leer"]
    ws = wb["Bewertung"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:H9"
    assert all(c.font.bold for c in ws[1]) and not ws["A2"].font.bold
    assert ws.column_dimensions["B"].width == 60
    k = [c.value for c in ws[1]].index("klasse") + 1
    cells = [ws.cell(r, k) for r in range(2, 6)]
    assert [c.fill.start_color.rgb[-6:] if c.fill.fill_type else None for c in cells] == ["1A9641", "D7191C", None, None]
    assert [c.font.bold for c in cells] == [True, False, False, False]
    assert cells[0].font.color.rgb[-6:] == "FFFFFF"
    assert wb["Leer"].max_row == 1


def test_column_letters_match_openpyxl():
    letters = column_letters(800)
    assert letters == [openpyxl.utils.get_column_letter(i) for i in range(1, 801)]


def test_text_cells_and_fills_per_value_whatever_the_dtype(tmp_path):
    texts = ["geeignet", None, "", "a & <b>\x02", "nicht geeignet", "geeignet"] * 3
    styles = {"gruen": ("#1a9641", True), "rot": ("#d7191c", False)}
    fills = {"k": {"geeignet": "gruen", "nicht geeignet": "rot", "": "rot"}}
    expected = [[None if not t else t.replace("\x02", "") for t in texts], [None] * len(texts)]
    colours = [{"geeignet": "1A9641", "nicht geeignet": "D7191C"}.get(t) for t in texts]
    for dtype in ("str", object):
        df = pd.DataFrame({"k": pd.Series(texts, dtype=dtype), "leer": pd.Series([None] * len(texts), dtype=dtype)})
        path = write_workbook(tmp_path / "t.xlsx", [Sheet("T", df, [9.0, 9.0], fills)], styles)
        ws = openpyxl.load_workbook(path).active
        assert [[ws.cell(r, c).value for r in range(2, len(texts) + 2)] for c in (1, 2)] == expected
        got = [ws.cell(r, 1).fill.start_color.rgb[-6:] if ws.cell(r, 1).fill.fill_type else None
               for r in range(2, len(texts) + 2)]
        assert got == colours, dtype
        assert [ws.cell(r, 1).font.bold for r in range(2, 5)] == [True, False, False]


def test_one_block_or_many_the_same_sheet(tmp_path, monkeypatch):
    import zipfile

    from nachverdichtung.export import xlsx

    df = _frame(40)
    sheets = [Sheet("D", df, [8.0] * df.shape[1], {"klasse": {"geeignet": "g"}})]
    one = write_workbook(tmp_path / "one.xlsx", sheets, {"g": ("#1a9641", True)})
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", 7)
    many = write_workbook(tmp_path / "many.xlsx", sheets, {"g": ("#1a9641", True)})
    a, b = (zipfile.ZipFile(p).read("xl/worksheets/sheet1.xml") for p in (one, many))
    assert a == b and a.count(b"<row ") == 41
