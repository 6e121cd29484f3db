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


def test_every_csv_and_xlsx_writer_goes_through_the_helper():
    """The class of the defect: a new export written with ``csv.writer`` or an openpyxl
    ``Workbook`` of its own would skip the neutralising. Only ``hpf.common.exports`` may
    make them, and the remittance template (fixed column names, each cell through
    ``safe_row``), which needs a full workbook for its column formats."""
    import ast
    from pathlib import Path

    hpf = Path(__file__).resolve().parents[2]
    allowed = {"common/exports.py", "remittance/services.py"}
    offending = []
    for path in hpf.rglob("*.py"):
        rel = path.relative_to(hpf).as_posix()
        if "/tests/" in f"/{rel}" or rel in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("writer", "DictWriter", "Workbook"):
                    offending.append(f"{rel}:{node.lineno}")
    assert offending == []
