"""``bench.cpu``: the CPU seconds of a process tree (psutil), counting the children
that have ended as well as those still running — what ``make bench`` divides by the requests
or rows of a step."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time

import psutil
import pytest

# Imported by name: ``mypy hpf`` (``make typecheck``) does not type-check the benchmarks.
cpu = importlib.import_module("bench.cpu")
portal = importlib.import_module("bench.portal")

BURN = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n"


def test_a_child_that_ended_still_counts() -> None:
    before = cpu.tree_cpu_s(os.getpid())
    subprocess.run([sys.executable, "-c", BURN.format(s=0.4)], check=True)
    after = cpu.tree_cpu_s(os.getpid())
    assert before is not None and after is not None
    assert after - before >= 0.35


def test_a_running_child_counts_and_is_not_counted_twice_once_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURN.format(s=0.4) + "time.sleep(30)\n"])
    try:
        start = cpu.tree_cpu_s(os.getpid())
        assert start is not None
        deadline = time.monotonic() + 20
        while (cpu.tree_cpu_s(child.pid) or 0) < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
        running = cpu.tree_cpu_s(os.getpid())
        assert running is not None and running - start >= 0.3
    finally:
        child.kill()
        child.wait()
    reaped = cpu.tree_cpu_s(os.getpid())
    assert reaped is not None
    # Reaped, the child's time moves into this process's children's counters: the same total.
    assert abs(reaped - running) < 0.1


def test_a_process_that_is_not_there_is_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert cpu.tree_cpu_s(child.pid) is None


def test_cpu_a_request_is_the_difference_over_the_requests() -> None:
    assert portal.cpu_per_request(
        {"server": 10.0, "database": 4.0}, {"server": 13.6, "database": 4.62}, 1000
    ) == pytest.approx({"server": 3.6, "database": 0.62})
    # A tree read only on one side is left out rather than guessed.
    assert portal.cpu_per_request({"server": 1.0, "linker": 1.0}, {"server": 2.0}, 500) == {
        "server": 2.0
    }
    assert portal.cpu_text({}) == ""
    assert portal.cpu_text({"server": 3.6, "database": 0.62}) == (
        "  CPU a request: server 3.60 + database 0.62 ms"
    )


@pytest.mark.django_db
def test_the_postgresql_server_is_found_however_slow_the_lookup(monkeypatch) -> None:
    """The server's postmaster, from a connection's backend looked up while the connection is
    open: on a busy machine a lookup made after it closed found the backend gone (and the
    import's row lost its database CPU). Here every lookup is slowed down."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the database server's process: PostgreSQL only")
    s = connection.settings_dict
    url = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    class Slow(psutil.Process):  # type: ignore[misc]
        def __init__(self, pid: int | None = None) -> None:
            time.sleep(0.3)
            super().__init__(pid)

    monkeypatch.setattr(cpu.psutil, "Process", Slow)
    postmaster = cpu.postmaster_of(url)
    monkeypatch.undo()
    assert postmaster is not None and cpu.tree_cpu_s(postmaster)
