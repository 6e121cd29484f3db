"""The intake's two baselines in ``make bench`` (``bench/city.py``): the verdict of goal 1,
and that the checked floor runs exactly the statements a staged import sends for its checks,
postings and notices — nothing cheaper, nothing more."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection

from hpf.common import clock
from hpf.registry.models import Employer
from hpf.remittance.batch import remittance_import_batch
from hpf.remittance.tests.helpers import row_for, write

# Imported by name: ``mypy hpf`` (``make typecheck``) does not type-check the benchmarks.
city = importlib.import_module("bench.city")


@pytest.mark.parametrize(
    ("intake", "floor", "checked", "verdict"),
    [
        (20.0, 10.0, 30.0, "met"),  # within 2× the write floor, whatever the checked floor
        (30.0, 10.0, 25.0, "stopped by the checks"),  # 1.2× a checked floor that is 2.5×
        (31.25, 10.0, 25.0, "stopped by the checks"),  # exactly AT_FLOOR× it
        (32.0, 10.0, 25.0, "missed"),  # over AT_FLOOR× the checked floor
        (30.0, 10.0, 20.0, "missed"),  # the checked floor itself within 2×: the import's own
        (30.0, 10.0, None, "missed"),  # no checked floor measured
        (30.0, 10.0, 0.0, "missed"),
    ],
)
def test_intake_verdict(intake: float, floor: float, checked: float | None, verdict: str) -> None:
    assert city.intake_verdict(intake, floor, checked) == verdict


def _figures(**cfloor: Any) -> dict[str, Any]:
    return {
        "city": "hpf_city20k",
        "rows": 20_000,
        "copy_s": 0.1,
        "import_s": 3.0,
        "import_mb": 200,
        "floor_insert_s": 0.8,
        "floor_update_s": 0.2,
        "floor_rows": 20_000,
        **({"cfloor": cfloor} if cfloor else {}),
    }


def _row(text: str, name: str) -> list[str]:
    line = next(x for x in text.splitlines() if x.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


# A checked floor as ``checked_floor`` reports it (its parts sum to 2.5 s).
CFLOOR: dict[str, Any] = {
    "month_s": 0.3,
    "stage_s": 0.2,
    "lock_s": 0.05,
    "entries_s": 0.1,
    "update_s": 0.8,
    "postings_s": 0.8,
    "notices_s": 0.3,
    "employers_s": 0.05,
    "records_s": 0.1,
    "commit_s": 0.1,
    "rows": 20_000,
    "lists": 500,
    "chunks": 3,
    "postings": 20_500,
    "notices": 20_000,
}


def test_table_rows_of_the_two_floors() -> None:
    run = city.Run(0.0)
    run.fig = _figures(**CFLOOR)
    text = city.table(run)
    write_row = _row(text, "intake vs the write floor")
    assert write_row[3:] == ["3.00×", "≤ 2×", "stopped by the checks"]
    checked = _row(text, "intake vs its checked floor")
    assert checked[1] == "3.0 s"
    assert "checked floor 2.50 s" in checked[2]
    assert "stage COPY 0.20" in checked[2] and "500 lists in 3 chunks" in checked[2]
    assert "read from the accounts 0.30 not counted" in checked[2]
    assert "checked floor ÷ write floor 2.50×" in checked[2]
    assert checked[3:] == ["1.20×", "≤ 1.25× (at the checked floor)", "met"]
    # Without a checked floor: the write floor's row as before, no second row.
    run.fig = _figures()
    text = city.table(run)
    assert _row(text, "intake vs the write floor")[5] == "missed"
    assert "intake vs its checked floor" not in text


def test_the_cpu_row_adds_the_database_cpu_to_the_importers(monkeypatch: Any) -> None:
    monkeypatch.setattr(city.os, "cpu_count", lambda: 2)
    run = city.Run(0.0)
    cpu = {"import_cpu_s": 2.4, "import_busy": 0.96}
    run.fig = {**_figures(**CFLOOR, db_cpu_s=3.1), **cpu, "import_db_cpu_s": 4.1}
    row = _row(city.table(run), "intake: the CPU it used")
    assert row[1] == (
        "importer 2.4 s (reading and checking the files, posting) + database 4.1 s = 6.5 s"
        " of CPU; the machine's cores 96% busy during the import"
    )
    # 6.5 CPU-s on 2 cores: 3.25 s at the least, 3.25× the write floor of 1.0 s; the
    # import's 3.0 s is 0.92× that.
    assert row[2] == (
        "3.2 s: that CPU on 2 cores, at the least (3.25× the write floor);"
        " the checked floor's database CPU 3.1 s"
    )
    assert row[3] == "0.92×"
    # Without the database's CPU (a server on another machine): the importer's alone.
    run.fig = {**_figures(), **cpu}
    text = city.table(run)
    assert "| intake: the CPU it used |" not in text
    assert _row(text, "intake: the importer's own CPU")[1].startswith("2.4 s of CPU")


def test_checked_floor_on_the_imports_connections_is_its_wall_time() -> None:
    """On two connections the checked floor is the chunks' wall time, not the parts' sum (which
    counts both connections' seconds); the importer's own CPU has a row of its own."""
    run = city.Run(0.0)
    parts = dict.fromkeys(city.CF_PARTS, 0.5)  # 4.5 s summed over both connections
    run.fig = {
        **_figures(**parts, wall_s=1.5, connections=2, rows=20_000, lists=500, chunks=3),
        "import_cpu_s": 4.2,
        "import_busy": 0.87,
    }
    text = city.table(run)
    checked = _row(text, "intake vs its checked floor")
    assert "checked floor 1.50 s on 2 connections (seconds summed over them:" in checked[2]
    assert "checked floor ÷ write floor 1.50×" in checked[2]
    assert checked[3:] == ["2.00×", "≤ 1.25× (at the checked floor)", "missed"]
    # A checked floor within 2× the write floor stops nothing: the import's own work does.
    assert _row(text, "intake vs the write floor")[3:] == ["3.00×", "≤ 2×", "missed"]
    cpu = _row(text, "intake: the importer's own CPU")
    assert cpu[1].startswith("4.2 s of CPU") and "87% busy" in cpu[1]


@pytest.fixture
def third(employer2: Any, open_account: Any) -> Any:
    return open_account(employer2, 3, base="8000.00")


def _flat(sql: str) -> str:
    return " ".join(sql.split())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged path is PostgreSQL's")
@pytest.mark.django_db
def test_checked_floor_sends_the_staged_imports_statements(
    tmp_path, employer, employer2, owner, other, third, actor
):
    Employer.objects.filter(pk__in=[employer.pk, employer2.pk]).update(paid_through=202610)
    a = write(tmp_path, "a.csv", employer, [row_for(owner), row_for(other)])
    b = write(tmp_path, "b.csv", employer2, [row_for(third, base="8000.00", ratio="0.08")])
    sent: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((_flat(sql), params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        result = remittance_import_batch([a, b], actor=actor, staged=True)
    assert [o.state for _, o in result.outcomes] == ["POSTED", "POSTED"]
    assert "check" not in result.seconds  # every row checked by the staged UPDATE
    statements = {sql for sql, _ in sent}
    for sql in (*city.CF_SETTINGS, *city.CF_TABLES, *city.CF_UPDATE, *city.CF_POSTINGS):
        assert _flat(sql) in statements, sql
    assert _flat(city.CF_NOTICES) in statements
    for sql in (city.CF_LOCK, city.CF_POSTED_BEFORE, city.CF_EMPLOYERS):
        assert _flat(sql) in statements, sql
    (posting_params,) = [p for sql, p in sent if sql == _flat(city.CF_POSTINGS[2])]
    assert list(posting_params) == city.cf_posting_params(clock.today())
    (notice_params,) = [p for sql, p in sent if sql == _flat(city.CF_NOTICES)]
    assert notice_params[0] == city.CF_NOTICE_KIND
    assert tuple(notice_params[2:]) == city.CF_NOTICE_TEXTS


def test_checked_floor_chunks_as_the_import_groups_its_lists() -> None:
    # 1,000 lists of 300 rows: chunks of an eighth, a quarter, a half, then whole chunks of
    # about 100,000 rows, and the rest; every list once, in order.
    lists = [(li, 300) for li in range(1_000)]
    chunks = city.cf_chunks(lists)
    sizes = [300 * len(chunk) for chunk in chunks]
    assert sizes[:4] == [12_600, 25_200, 50_100, 100_200]
    assert all(size == 100_200 for size in sizes[4:-1]) and 0 < sizes[-1] <= 100_200
    assert [li for chunk in chunks for li in chunk] == list(range(1_000))
    assert city.cf_chunks([]) == []
    assert city.cf_chunks([(7, 5)]) == [[7]]


def test_checked_floor_chunks_match_the_imports_grouping(tmp_path) -> None:
    # ``cf_chunks`` is ``batch._groups`` by rows instead of bytes (the benchmark runs without
    # Django): for files of 100 bytes a row, as ``_groups`` counts them, the two agree.
    from hpf.remittance.batch import _groups

    rows = [37, 5, 120, 64, 1, 250, 9, 80, 33, 400, 17, 2, 75, 160, 44, 300, 12, 90, 6, 210]
    paths = []
    for li, n in enumerate(rows * 5):
        path = tmp_path / f"{li:03d}.csv"
        with path.open("wb") as f:
            f.truncate(100 * n)
        paths.append(path)
    by_files = [[int(p.stem) for p in group] for group in _groups(paths, 1_000)]
    assert by_files == city.cf_chunks(list(enumerate(rows * 5)), 1_000)
    assert len(by_files) > 4  # the ramp and whole chunks both exercised
