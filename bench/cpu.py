"""CPU seconds of the processes a benchmark step keeps busy (psutil): a process tree's
(gunicorn's master and workers, the PostgreSQL server's postmaster and every backend), so that
a step can say where its machine's time went — "the database used 40 CPU-s during the import",
"an overview costs 4.3 ms of the server's CPU and 0.7 ms of the database's" — and not only how
long it took.

A tree's count is every live process's own time plus the time of the children each has
reaped (the kernel adds a child's whole time to its parent's children's counters when the
parent waits for it): so a backend that ended during the step still counts, once.
"""

from __future__ import annotations

import psutil


def tree_cpu_s(root: int | None) -> float | None:
    """CPU seconds (user + system) ``root`` and its descendants have used so far, those that
    ended included; None when ``root`` is None or not a process of this machine."""
    if root is None:
        return None
    try:
        parent = psutil.Process(root)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for process in processes:
        try:
            used = process.cpu_times()
        except psutil.Error:  # ended since it was listed: its parent's counters have it
            continue
        total += used.user + used.system + used.children_user + used.children_system
    return total


def postmaster_of(url: str) -> int | None:
    """The PostgreSQL server's postmaster pid, when the server at ``url`` runs on this machine
    (the parent of this connection's backend); None otherwise."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        (backend,) = con.execute("SELECT pg_backend_pid()").fetchone() or (0,)
        # Looked up while the connection is open: once it closes, its backend exits.
        try:
            process = psutil.Process(int(backend))
            # A pid of this machine that is not a PostgreSQL process: the server is elsewhere.
            return process.ppid() if process.name().startswith("postgres") else None
        except psutil.Error:
            return None
