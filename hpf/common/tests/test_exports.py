"""The one export helper: text cells that a spreadsheet would evaluate are made inert, numbers
and signed amounts are left as they are (issue 11, item 12)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from hpf.common.exports import csv_bytes, safe_cell, xlsx_bytes


def test_text_cells_that_would_run_are_prefixed():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x")'):
        assert safe_cell(text) == "'" + text


def test_numbers_and_amounts_stay_as_they_are():
    for value in (-12, 0, Decimal("-1234.56"), 3.5, None, dt.date(2026, 1, 1), "张三", "a=b"):
        assert safe_cell(value) == value
    for text in ("-1,234.56", "-0.01", "+5", "-7%", "12"):
        assert safe_cell(text) == text


def test_csv_and_xlsx_keep_numbers_and_neutralise_text():
    rows: list[list[object]] = [["金额", "用途"], [-1234, "=1+2"], ["-56.78", "@x"]]
    text = csv_bytes(rows).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["金额", "用途"],
        ["-1234", "'=1+2"],
        ["-56.78", "'@x"],
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes("s", rows))).active
    assert sheet is not None
    assert sheet.cell(2, 1).value == -1234 and sheet.cell(2, 1).data_type == "n"
    assert sheet.cell(2, 2).value == "'=1+2" and sheet.cell(2, 2).data_type == "s"
