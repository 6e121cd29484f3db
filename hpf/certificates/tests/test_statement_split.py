"""The printed 账户明细单 shows each deposit's base and its employer / personal parts (issue
17): in the write-once snapshot and in the PDF's text."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.certificates.pdf import certificate_pdf
from hpf.certificates.tests.test_pdf import _tool

pytestmark = pytest.mark.django_db


def test_statement_lists_base_and_split_of_each_deposit(owner, issue, tmp_path):
    cert = issue(owner, "STATEMENT", date_from=dt.date(2026, 8, 1), date_to=dt.date(2026, 11, 15))
    lines = cert.snapshot["statement"]["lines"]
    assert len(lines) == 3
    for line in lines:  # base 10 000.00 at 12 % + 12 %: 1 200.00 each, 2 400.00 together
        assert (line["base_fen"], line["employer_fen"], line["employee_fen"]) == (
            1_000_000,
            120_000,
            120_000,
        )
        assert line["employer_fen"] + line["employee_fen"] == line["amount_fen"]
    path = tmp_path / "statement.pdf"
    path.write_bytes(certificate_pdf(cert))
    text = _tool("pdftotext", "-layout", str(path), "-", capture_output=True, text=True).stdout
    assert text.count("基数 10,000.00") == 3
    assert text.count("单位 1,200.00") == 3 and text.count("个人 1,200.00") == 3
