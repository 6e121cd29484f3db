"""A settlement run killed outright (SIGKILL) half-way, then run again, ends exactly where an
uninterrupted run ends: the same interest for every account and a clean ledger check.

The runs are real `hpf` processes on databases of their own (a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL), built by the deterministic seed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from hpf.conftest import City

pytestmark = pytest.mark.slow
DATE = "2026-06-30"


def interest_by_account(city: City) -> dict[int, int]:
    return dict(
        city.query(
            "SELECT fund_account_id, interest_fen FROM interest_interestsettlement"
            f" WHERE interest_year = 2026 AND settlement_date = '{DATE}'"
        )
    )


def test_settlement_killed_half_way_then_rerun_matches_an_uninterrupted_run(make_city):
    reference, victim = make_city("reference"), make_city("victim")
    done = reference.hpf("settle-interest", "--date", DATE, "--chunk", "50")
    assert done.returncode == 0, done.stderr[-2000:]
    expected = interest_by_account(reference)
    assert len(expected) > 500

    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hpf.cli",
            "settle-interest",
            "--date",
            DATE,
            "--chunk",
            "50",
            "--pause-ms",
            "150",
        ],
        env=victim.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    settled = 0
    while time.monotonic() < deadline and settled < 100:
        time.sleep(0.05)
        settled = victim.query(
            "SELECT COUNT(*) FROM interest_interestsettlement WHERE interest_year = 2026 AND settlement_date = '2026-06-30'"
        )[0][0]
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    half = len(interest_by_account(victim))
    assert 0 < half < len(expected), "the kill should land half-way"

    again = victim.hpf("settle-interest", "--date", DATE, "--chunk", "50")
    assert again.returncode == 0, again.stderr[-2000:]
    assert interest_by_account(victim) == expected
    states = victim.query(
        "SELECT state, note FROM operations_batchrun WHERE kind = 'SETTLEMENT' ORDER BY id"
    )
    assert states[-2][0] == "FAILED" and states[-2][1].startswith("interrupted; resumed by run")
    assert states[-1][0] == "DONE"
    check = victim.hpf("check-ledger")
    assert check.returncode == 0, check.stdout[-3000:]
    audit = victim.hpf("verify-audit")
    assert audit.returncode == 0, audit.stdout[-3000:]
