"""The application through pgbouncer in transaction pooling mode (started by scripts/cluster,
with server_round_robin so consecutive transactions of one client land on different server
connections): a seeded city's month imported, a portal page read and audited, the ledger and
the audit trail checked. Migrations and the seed go to the primary directly, as in production."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hpf.ops.tests.clusterlib import Cluster, running_cluster

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


@pytest.fixture(scope="module")
def pooled() -> Iterator[Cluster]:
    if shutil.which("pgbouncer") is None:
        pytest.skip("pgbouncer is not installed (Debian package pgbouncer; .ci/run installs it)")
    with running_cluster("pool") as c:
        config = c.psql(c.pooler_port, "SHOW CONFIG", db="pgbouncer").splitlines()
        assert any(line.startswith("pool_mode|transaction") for line in config), config
        c.hpf("migrate", "--no-input")
        c.hpf("seed", "--depositors", "120", "--years", "1", "--seed", "5")
        yield c


def test_flows_through_pgbouncer(pooled: Cluster) -> None:
    c = pooled
    lists = c.root / "lists"
    c.hpf("demo-lists", str(lists), DEBUG="1", url=c.pooled_url, HPF_DB_POOLED="1")
    count = "SELECT count(*) FROM ledger_posting WHERE entry_id IN (SELECT id FROM ledger_journalentry WHERE source_key LIKE 'remit:%%')"
    before = int(c.psql(c.primary_port, count.replace("%%", "%")))
    c.hpf(
        "import-remittance",
        str(lists),
        "--workers",
        "0",
        "--chunk-rows",
        "25",
        url=c.pooled_url,
        HPF_DB_POOLED="1",
    )
    # Each list's second line is its header: unit, credit code, kind, month, head count, ...
    rows = sum(
        int(f.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[4])
        for f in lists.glob("*.csv")
    )
    after = int(c.psql(c.primary_port, count.replace("%%", "%")))
    # A posting per row and one clearing posting per list.
    assert after - before == rows + len(list(lists.glob("*.csv"))), (before, after, rows)
    probe = subprocess.run(
        [sys.executable, "-m", "hpf.ops.tests.pool_probe"],
        env=c.app_env(c.pooled_url, HPF_DB_POOLED="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    check = c.hpf("check-ledger", url=c.pooled_url, HPF_DB_POOLED="1")
    assert "ledger OK" in check.stdout
    c.hpf("verify-audit", url=c.pooled_url, HPF_DB_POOLED="1")
    # Nothing of a session's state was left behind on the pooled server connections.
    settings_left = c.psql(
        c.primary_port,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'hpf' AND state = 'idle in transaction'",
    )
    assert settings_left == "0"


def test_settlement_refuses_a_pooled_connection(pooled: Cluster) -> None:
    """The settlement holds a session lock across its chunks' transactions, which a
    transaction pool cannot give: it refuses clearly and changes nothing."""
    count = "SELECT count(*) FROM interest_interestsettlement"
    before = pooled.psql(pooled.primary_port, count)
    done = pooled.hpf(
        "settle-interest",
        "--date",
        "2026-06-30",
        url=pooled.pooled_url,
        HPF_DB_POOLED="1",
        check=False,
    )
    assert done.returncode != 0
    assert "INVALID_TRANSITION" in done.stderr and "HPF_DB_POOLED" in done.stderr
    assert pooled.psql(pooled.primary_port, count) == before
