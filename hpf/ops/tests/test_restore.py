"""Restore drill: a base backup and the archived WAL bring the database back to a moment
before a bad import (point-in-time recovery). The restored ledger equals the ledger at that
moment, check-ledger and verify-audit are clean, and the audit chain continues from the
restored head: a new event is linked as the next ``seq`` and verify-audit is clean again."""

from __future__ import annotations

import time

import pytest

from hpf.ops.tests.clusterlib import free_port, running_cluster
from hpf.ops.tests.test_failover import BALANCES, CANONICAL_POSTINGS

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

HEAD = "SELECT coalesce(max(seq), 0) FROM audit_auditevent"


def test_point_in_time_restore_before_a_bad_import() -> None:
    with running_cluster("restore") as c:
        c.hpf("migrate", "--no-input")
        c.hpf("seed", "--depositors", "80", "--years", "1", "--seed", "9")
        c.hpf("link-audit")
        c.script("basebackup", str(c.root / "backup"))
        # Work after the base backup that the restore must replay from the archive.
        c.hpf("check-ledger")
        c.hpf("link-audit")
        good_postings = c.psql(c.primary_port, CANONICAL_POSTINGS)
        good_balances = c.psql(c.primary_port, BALANCES)
        good_head = int(c.psql(c.primary_port, HEAD))
        time.sleep(1.1)
        target = c.psql(c.primary_port, "SELECT clock_timestamp()::text")
        time.sleep(1.1)

        # The bad import, committed and archived.
        lists = c.root / "lists"
        c.hpf("demo-lists", str(lists), DEBUG="1")
        c.hpf("import-remittance", str(lists), "--workers", "0")
        assert c.psql(c.primary_port, CANONICAL_POSTINGS) != good_postings
        wal = c.psql(c.primary_port, "SELECT pg_walfile_name(pg_current_wal_lsn())")
        c.psql(c.primary_port, "SELECT pg_switch_wal()")
        deadline = time.monotonic() + 60
        while (c.root / "wal-archive" / wal).exists() is False:
            assert time.monotonic() < deadline, f"{wal} was not archived"
            time.sleep(0.2)

        port = free_port()
        c.script("restore", str(c.root / "backup"), target, str(port))
        url = f"postgres://postgres@127.0.0.1:{port}/{c.db}"
        assert c.psql(port, CANONICAL_POSTINGS) == good_postings
        assert c.psql(port, BALANCES) == good_balances
        assert int(c.psql(port, HEAD)) == good_head
        assert c.psql(port, "SELECT count(*) FROM audit_auditevent WHERE seq IS NULL") == "0"
        c.hpf("verify-audit", "--no-link", url=url)
        # check-ledger records an event of its own; verify-audit links it after the restored
        # head and walks the whole chain again.
        c.hpf("check-ledger", url=url)
        c.hpf("verify-audit", url=url)
        assert int(c.psql(port, HEAD)) == good_head + 1
        assert (
            c.psql(port, f"SELECT action FROM audit_auditevent WHERE seq = {good_head + 1}")
            == "ledger.check"
        )
