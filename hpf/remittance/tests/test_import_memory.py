"""Import memory (issue 11, item 13): rows are streamed, reading stops at HPF_IMPORT_MAX_ROWS
with a clear message, and only the first problems are kept (with a count of the rest), so the
issue's three files stay far under 200 MB — measured as the peak RSS of a fresh process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpf.remittance.parse import (
    DETAIL_COLUMNS,
    HEADER_COLUMNS,
    MAX_REPORTED_PROBLEMS,
    ParseFailure,
    ProblemList,
    RowProblem,
    parse_list,
    problem_total,
)

LIMIT_MB = 200

HEAD = (
    ",".join(HEADER_COLUMNS)
    + "\n0001,91530100MA6K000000,汇缴,202610,1,1.00,1.00,2.00\n\n"
    + ",".join(DETAIL_COLUMNS)
    + "\n"
)

# Runs in a fresh interpreter: read the file as the import does before it needs the database,
# and print the problems and the peak memory. The peak is VmHWM (KiB), which starts afresh
# with the new program: getrusage's ru_maxrss survives execve, so it would report the test
# runner's own size when the runner has grown larger than the import.
SCRIPT = """
import json, sys
import django
django.setup()
from django.conf import settings
from hpf.remittance.parse import ParseFailure, parse_list, problem_total
from hpf.remittance.validate import read_header, read_rows
from hpf.remittance.services import problems_csv
content = open(sys.argv[1], "rb").read()
try:
    parsed = parse_list(content, max_bytes=settings.HPF_IMPORT_MAX_BYTES,
                        max_rows=settings.HPF_IMPORT_MAX_ROWS)
except ParseFailure as failure:
    problems = failure.problems
else:
    header, problems = read_header(parsed, 202611)
    rows, row_problems = read_rows(parsed, header, 202611)
    from hpf.remittance.parse import ProblemList
    problems = ProblemList(problems)
    problems += row_problems
report = problems_csv(problems)
print(json.dumps({
    "codes": sorted({p.code for p in problems}),
    "listed": len(problems),
    "total": problem_total(problems),
    "report_bytes": len(report),
    "first": problems[0].message if problems else "",
    "peak_mb": int(
        next(x for x in open("/proc/self/status") if x.startswith("VmHWM:")).split()[1]
    ) / 1024,
}))
"""


def _measure(path: Path) -> dict[str, object]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hpf.settings"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_million_one_character_lines_stop_at_the_row_limit(tmp_path):
    path = tmp_path / "million.csv"
    path.write_bytes((HEAD + "a\n" * 1_000_000).encode())
    assert path.stat().st_size < 2_100_000
    seen = _measure(path)
    assert seen["codes"] == ["TOO_MANY_ROWS"]
    assert "100,000" in str(seen["first"]) and "分拆" in str(seen["first"])
    assert float(str(seen["peak_mb"])) < LIMIT_MB, seen


def test_a_small_upload_with_a_problem_on_every_cell_reports_the_first_ones(tmp_path):
    path = tmp_path / "problems.csv"
    path.write_bytes((HEAD + "1\n" * 99_000).encode())
    assert path.stat().st_size < 220_000
    seen = _measure(path)
    assert int(str(seen["total"])) > 500_000
    assert seen["listed"] == MAX_REPORTED_PROBLEMS
    assert int(str(seen["report_bytes"])) < 200_000  # the report (and its page) stay small
    assert float(str(seen["peak_mb"])) < LIMIT_MB, seen


def test_a_small_xlsx_of_300000_rows_stops_at_the_row_limit(tmp_path):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("清册")
    for line in HEAD.splitlines():
        sheet.append(line.split(",") if line else [])
    for _ in range(300_000):
        sheet.append(["a"])
    path = tmp_path / "many.xlsx"
    book.save(path)
    assert path.stat().st_size < 2_000_000
    seen = _measure(path)
    assert seen["codes"] == ["TOO_MANY_ROWS"]
    assert float(str(seen["peak_mb"])) < LIMIT_MB, seen


def test_the_row_limit_is_the_settings_and_counts_detail_rows_only():
    content = (HEAD + "\n".join(["x"] * 3) + "\n").encode()
    assert len(parse_list(content, max_bytes=10**6, max_rows=3).rows) == 3
    with pytest.raises(ParseFailure) as refused:
        parse_list(content, max_bytes=10**6, max_rows=2)
    assert [p.code for p in refused.value.problems] == ["TOO_MANY_ROWS"]


def test_a_problem_list_keeps_the_first_and_counts_the_rest():
    problems = ProblemList(cap=2)
    for n in range(5):
        problems.append(RowProblem(n, "", "X", "x"))
    more = ProblemList([RowProblem(9, "", "Y", "y")] * 3, cap=1)
    problems += more
    assert len(problems) == 2 and problem_total(problems) == 8


def test_an_echoed_column_name_is_short_and_inert_in_the_report():
    from hpf.remittance.services import problems_csv

    evil = '=HYPERLINK("http://evil.example")' + "x" * 5000
    content = (HEAD.replace("缴存额\n", f"缴存额,{evil}\n")).encode()
    with pytest.raises(ParseFailure) as refused:
        parse_list(content, max_bytes=10**6)
    report = problems_csv(refused.value.problems).decode("utf-8-sig")
    assert len(report) < 1000
    for line in io.StringIO(report):
        assert not any(cell.startswith("=") for cell in line.split(","))
