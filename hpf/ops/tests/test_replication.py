"""The primary and its synchronous standby (scripts/cluster) and the database router, against
real servers started for these tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from hpf.ops.tests.clusterlib import Cluster, free_port, running_cluster, server_binaries

pytestmark = [pytest.mark.slow, pytest.mark.cluster]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster("router") as c:
        c.hpf("migrate", "--no-input")
        yield c


def probe(cluster: Cluster, scenario: str, **extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hpf.ops.tests.replica_probe", scenario],
        env=cluster.app_env(
            None,
            DATABASE_REPLICA_URL=cluster.replica_url,
            HPF_REPLICA_MAX_LAG_S="1",
            HPF_REPLICA_PIN_S="2",
            **extra,
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("ok")


def test_standby_streams_synchronously(cluster: Cluster) -> None:
    row = cluster.psql(
        cluster.primary_port,
        "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
    )
    assert row == "streaming|sync"
    assert cluster.psql(cluster.standby_port, "SELECT pg_is_in_recovery()") == "t"
    assert cluster.psql(cluster.primary_port, "SHOW synchronous_commit") == "on"


@pytest.mark.parametrize("scenario", ["routing", "lag_bound", "middleware"])
def test_router(cluster: Cluster, scenario: str) -> None:
    probe(cluster, scenario)


def test_router_unreachable_replica(cluster: Cluster) -> None:
    probe(cluster, "unreachable", PROBE_DEAD_PORT=str(free_port()))


def test_commit_waits_for_the_standby() -> None:
    """With the standby stopped, a commit on the primary is not acknowledged; once the standby
    is back, it is, and the row is on both."""
    with running_cluster("syncwait") as c:
        c.psql(c.primary_port, "CREATE TABLE t (x int)")
        c.pg_ctl("standby", "-m", "fast", "-w", "stop")
        bin_dir = server_binaries()
        writer = subprocess.Popen(
            [
                f"{bin_dir}/psql",
                "-X",
                "-h",
                "127.0.0.1",
                "-p",
                str(c.primary_port),
                "-U",
                "postgres",
                "-d",
                c.db,
                "-c",
                "INSERT INTO t VALUES (1)",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        c.extra_pids.append(writer.pid)
        time.sleep(3)
        assert writer.poll() is None, "the commit returned without the standby"
        c.script("up")
        _out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        assert c.psql(c.standby_port, "SELECT count(*) FROM t") == "1"
