"""Every CSV and XLSX file the system writes goes through here, so that no cell can run as a
formula when someone opens it in Excel or WPS (CSV/formula injection, OWASP).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading apostrophe, which spreadsheets show as text and never evaluate — a certificate
purpose ``=HYPERLINK(...)`` typed by a depositor reaches the auditors' export as inert text.
Numbers stay numbers: ints and Decimals are untouched, and a text cell that is just a signed
amount (``-1,234.56``, a reversal) is left as it is, so no figure is mangled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
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


def xlsx_bytes(sheet_title: str, rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook (openpyxl's write-only mode, so memory stays flat), every text
    cell safe: openpyxl would otherwise store a string starting with ``=`` as a formula."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
