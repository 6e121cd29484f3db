"""A settlement run killed outright (SIGKILL) half-way, then run again, ends exactly where an
uninterrupted run ends: the same interest for every account and a clean ledger check.

The runs are real `hpf` processes on databases of their own (a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL), built by the deterministic seed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = pytest.mark.slow
DATE = "2026-06-30"


class City:
    def __init__(self, url: str, var: Path) -> None:
        self.url, self.var = url, var

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "HPF_VAR_DIR": str(self.var),
            "HPF_GENERATE_SECRETS": "1",
            "DEBUG": "1",
        }

    def hpf(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hpf.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def make_city(tmp_path: Path) -> Iterator[Any]:
    created: list[str] = []
    settings = connection.settings_dict

    def make(name: str) -> City:
        var = tmp_path / name
        var.mkdir()
        if connection.vendor == "postgresql":
            import psycopg

            db = f"hpf_kill_{uuid.uuid4().hex[:10]}"
            admin = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {db}")
            created.append(db)
            url = f"{admin}/{db}"
        else:
            url = f"sqlite:///{var / 'city.sqlite3'}"
        city = City(url, var)
        for args in (
            ("migrate", "-v0"),
            (
                "seed",
                "--depositors",
                "600",
                "--years",
                "2",
                "--seed",
                "5",
                "--end-period",
                "202605",
                "--no-check",
            ),
        ):
            done = city.hpf(*args)
            assert done.returncode == 0, done.stderr[-2000:]
        return city

    yield make
    if created:
        import psycopg

        admin = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            for db in created:
                conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


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
