"""Every CSV and XLSX file the system writes goes through here, so that no cell can run as a
formula when someone opens it in Excel or WPS (CSV/formula injection, OWASP).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading apostrophe, which spreadsheets show as text and never evaluate — a certificate
purpose ``=HYPERLINK(...)`` typed by a depositor reaches the auditors' export as inert text.
Numbers stay numbers: ints and Decimals are untouched, and a text cell that is just a signed
amount (``-1,234.56``, a reversal) is left as it is, so no figure is mangled. In an XLSX file
a Decimal is a number cell with the yuan format ``#,##0.00`` and a date a date cell, so Excel
and WPS can sum and sort them; ``Formatted`` gives a cell another number format (a ratio as a
percentage).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
YUAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


class Formatted(NamedTuple):
    """A number or date with its own spreadsheet number format (``"0%"``, ``"0.00%"``)."""

    value: Decimal | int | dt.date
    number_format: str


_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written into a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_bytes(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n") -> bytes:
    """UTF-8 with a BOM (Excel on a Chinese Windows opens it ungarbled), every cell safe."""
    out = io.StringIO()
    out.write("\ufeff")
    SafeCsvWriter(out, lineterminator=lineterminator).writerows(rows)
    return out.getvalue().encode("utf-8")


def _typed_cell(sheet: Any, value: Any, number_format: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, Formatted):
        return _typed_cell(sheet, value.value, value.number_format)
    if isinstance(value, Decimal):
        return _typed_cell(sheet, value, YUAN_FORMAT)
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the wall-clock time the page shows.
        return _typed_cell(sheet, value.replace(tzinfo=None), DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return _typed_cell(sheet, value, DATE_FORMAT)
    return safe_cell(value)


def xlsx_bytes(
    sheet_title: str, rows: Iterable[Sequence[Any]], *, widths: Sequence[int] = ()
) -> bytes:
    """A one-sheet workbook (openpyxl's write-only mode, so memory stays flat), every text
    cell safe: openpyxl would otherwise store a string starting with ``=`` as a formula.
    Decimals are yuan number cells, dates date cells; ``widths`` in characters per column;
    the first row (the header) stays in view while scrolling."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    if widths:
        sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
