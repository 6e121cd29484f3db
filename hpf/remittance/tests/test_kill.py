"""A month's import killed outright (SIGKILL) half-way, then run again, ends exactly where an
uninterrupted import ends — and the batched path posts exactly what the single-list path posts.

Two identical seeded cities (real `hpf` processes on databases of their own). The reference
imports June's lists one by one (``--one-by-one``); the victim imports them batched, in small
chunks, is killed half-way, and imports them again. Every account, posting, entry and
employer must then be the same, and the ledger check and the audit chain clean.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hpf.conftest import City

pytestmark = pytest.mark.slow


def june(city: City, periods: tuple[int, ...] = (202606,)) -> dict[str, Any]:
    """What June's import (or ``periods``') changed, keyed by numbers that are the same in
    both cities."""
    return {
        "accounts": city.query(
            "SELECT account_no, balance_fen, paid_through FROM registry_fundaccount"
            " ORDER BY account_no"
        ),
        "employers": city.query(
            "SELECT unit_no, paid_through FROM registry_employer ORDER BY unit_no"
        ),
        "postings": city.query(
            "SELECT a.account_no, p.amount_fen, p.employer_fen, p.deposit_base_fen,"
            " CAST(p.employer_ratio AS TEXT), CAST(p.employee_ratio AS TEXT), e.source_key"
            " FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id"
            " LEFT JOIN registry_fundaccount a ON a.id = p.fund_account_id"
            f" WHERE p.period IN ({', '.join(str(int(p)) for p in periods)})"
            " AND p.reason = 'REMITTANCE' ORDER BY e.source_key, a.account_no, p.amount_fen"
        ),
        "lists": city.query(
            "SELECT filename, rows, total_fen FROM remittance_remittancelist"
            " WHERE state = 'POSTED' ORDER BY filename"
        ),
    }


def test_import_killed_half_way_then_rerun_matches_the_single_path(make_city, tmp_path: Path):
    reference, victim = make_city("reference"), make_city("victim")
    lists = tmp_path / "lists"
    made = reference.hpf("demo-lists", str(lists), "--period", "202606")
    assert made.returncode == 0, made.stderr[-2000:]
    files = sorted(lists.glob("*.csv"))
    assert len(files) >= 8

    done = reference.hpf("import-remittance", str(lists), "--one-by-one")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    expected = june(reference)
    assert len(expected["lists"]) == len(files)

    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpf.cli",
            "import-remittance",
            str(lists),
            "--chunk-rows",
            "20",
            "--pause-ms",
            "300",
            "--workers",
            "0",
        ],
        env=victim.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    posted = 0
    while time.monotonic() < deadline and posted < 3:
        time.sleep(0.05)
        posted = victim.query(
            "SELECT COUNT(*) FROM remittance_remittancelist WHERE state = 'POSTED'"
        )[0][0]
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    half = victim.query("SELECT COUNT(*) FROM remittance_remittancelist WHERE state = 'POSTED'")
    assert 0 < half[0][0] < len(files), "the kill should land half-way"
    assert june(victim) != expected

    again = victim.hpf("import-remittance", str(lists))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    assert f"{half[0][0]} already imported before" in again.stdout
    assert june(victim) == expected
    states = victim.query(
        "SELECT state, note FROM operations_batchrun WHERE kind = 'REMITTANCE_IMPORT' ORDER BY id"
    )
    assert states[0][0] == "FAILED"
    assert states[0][1].startswith("interrupted; resumed by run")
    assert states[-1][0] == "DONE"
    check = victim.hpf("check-ledger")
    assert check.returncode == 0, check.stdout[-3000:]
    audit = victim.hpf("verify-audit")
    assert audit.returncode == 0, audit.stdout[-3000:]


def test_two_months_at_once_post_each_employers_lists_in_order(make_city, tmp_path: Path):
    """June's and July's lists in one folder (each employer's two side by side) imported in
    small chunks, two posted at once on PostgreSQL: every list posts, July's after June's, and
    the cities end as if the months were imported one list at a time, June first."""
    reference, twice = make_city("reference"), make_city("twice")
    both = tmp_path / "both"
    for period in ("202606", "202607"):
        folder = tmp_path / period
        made = reference.hpf("demo-lists", str(folder), "--period", period)
        assert made.returncode == 0, made.stderr[-2000:]
        done = reference.hpf("import-remittance", str(folder), "--one-by-one")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        both.mkdir(exist_ok=True)
        for path in folder.glob("*.csv"):
            (both / path.name).write_bytes(path.read_bytes())
    files = sorted(both.glob("*.csv"))
    assert files[0].name.endswith("-202606.csv") and files[1].name.endswith("-202607.csv")
    assert files[0].name.split("-")[0] == files[1].name.split("-")[0]

    run = twice.hpf(
        "import-remittance", str(both), "--chunk-rows", "20", "--workers", "0", "--posters", "2"
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"{len(files)} files: {len(files)} posted" in run.stdout
    # Two at once only on PostgreSQL's staged path; on SQLite the phases are one poster's.
    summed = "(seconds summed over 2 posters)" in run.stdout
    assert summed == twice.url.startswith("postgres")
    assert june(twice, (202606, 202607)) == june(reference, (202606, 202607))
    check = twice.hpf("check-ledger")
    assert check.returncode == 0, check.stdout[-3000:]
