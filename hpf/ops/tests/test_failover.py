"""Failover drill: the primary dies (SIGKILL, with its backends) in the middle of a month's
import; the synchronous standby is promoted, the application pointed at it, the import rerun.
Nothing acknowledged is lost, the ledger and the audit trail check clean, and the postings equal
those of an uninterrupted import of the same lists."""

from __future__ import annotations

import subprocess
import time

import psutil
import pytest

from hpf.ops.tests.clusterlib import HPF, running_cluster

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

# One line per posting, independent of ids the two runs allocate differently (entries, runs);
# accounts keep their ids (they exist before the import).
CANONICAL_POSTINGS = """
SELECT count(*) || ' ' || coalesce(sum(p.amount_fen), 0) || ' ' || md5(coalesce(string_agg(
  concat_ws('|', e.source_key, e.reason, e.value_date, e.period, p.fund_account_id,
            p.centre_account_id, p.amount_fen, p.value_date),
  E'\\n' ORDER BY e.source_key, p.fund_account_id, p.centre_account_id, p.amount_fen), ''))
FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id
"""
BALANCES = (
    "SELECT md5(string_agg(id || ':' || balance_fen, ',' ORDER BY id)) FROM registry_fundaccount"
)
POSTINGS = "SELECT count(*) FROM ledger_posting"


def test_failover_mid_import_loses_nothing(tmp_path) -> None:
    with running_cluster("failover") as c:
        c.hpf("migrate", "--no-input")
        c.hpf("seed", "--depositors", "300", "--years", "2", "--seed", "3")
        lists = c.root / "lists"
        c.hpf("demo-lists", str(lists), DEBUG="1")
        assert len(list(lists.glob("*.csv"))) >= 5
        # The reference: the same lists imported without interruption into a copy of the city.
        c.psql(c.primary_port, "CREATE DATABASE hpf_ref TEMPLATE hpf", db="postgres")
        ref_url = f"postgres://postgres@127.0.0.1:{c.primary_port}/hpf_ref"
        c.hpf("import-remittance", str(lists), "--workers", "0", url=ref_url)
        reference = c.psql(c.primary_port, CANONICAL_POSTINGS, db="hpf_ref")
        ref_balances = c.psql(c.primary_port, BALANCES, db="hpf_ref")
        before = int(c.psql(c.primary_port, POSTINGS))

        # The import, slowed to many small transactions, and the primary killed part-way.
        importer = subprocess.Popen(
            [
                HPF,
                "import-remittance",
                str(lists),
                "--workers",
                "0",
                "--chunk-rows",
                "10",
                "--pause-ms",
                "150",
            ],
            env=c.app_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        c.extra_pids.append(importer.pid)
        deadline = time.monotonic() + 120
        seen = before
        while seen < before + 40:
            assert time.monotonic() < deadline and importer.poll() is None, "import ended early"
            seen = int(c.psql(c.primary_port, POSTINGS))
            time.sleep(0.05)
        postmaster = psutil.Process(c.postmaster_pid("primary"))
        for proc in [postmaster, *postmaster.children(recursive=True)]:
            proc.kill()
        importer.wait(timeout=60)
        assert importer.returncode != 0, "the import did not notice its database die"

        # Promote the standby; everything the primary acknowledged is on it.
        c.script("promote")
        survived = int(c.psql(c.standby_port, POSTINGS))
        assert survived >= seen, (survived, seen)
        assert c.psql(c.standby_port, CANONICAL_POSTINGS) != reference  # really part-way

        # The application pointed at the new primary: rerun, then check.
        c.hpf("import-remittance", str(lists), "--workers", "0", url=c.replica_url)
        assert c.psql(c.standby_port, CANONICAL_POSTINGS) == reference
        assert c.psql(c.standby_port, BALANCES) == ref_balances
        c.hpf("check-ledger", url=c.replica_url)
        c.hpf("verify-audit", url=c.replica_url)
        # And the new primary takes writes without waiting for a standby it no longer has.
        c.psql(
            c.standby_port,
            "CREATE TABLE after_failover (x int); INSERT INTO after_failover VALUES (1)",
            timeout=10,
        )
