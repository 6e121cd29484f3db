"""CPU seconds of the processes a benchmark step keeps busy, read from ``/proc`` (Linux): a
process tree's (gunicorn's master and workers, the PostgreSQL server's postmaster and every
backend), so that a step can say where its machine's time went — "the database used 40 CPU-s
during the import", "an overview costs 3.6 ms of the server's CPU and 0.6 ms of the
database's" — and not only how long it took.

A tree's count is every live process's own time plus the time of the children each has
reaped (the kernel adds a child's whole time to its parent's ``cutime``/``cstime`` when the
parent waits for it): so a backend that ended during the step still counts, once.
"""

from __future__ import annotations

import os
from collections import defaultdict

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, own + reaped children's CPU ticks) of ``pid``, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields follow the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return int(fields[1]), utime + stime + cutime + cstime


def tree_cpu_s(root: int) -> float | None:
    """CPU seconds (user + system) ``root`` and its descendants have used so far, those that
    ended included; None when ``root`` is not a process of this machine."""
    own = _stat(root)
    if own is None:
        return None
    children: dict[int, list[int]] = defaultdict(list)
    ticks: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (found := _stat(int(name))) is not None:
            children[found[0]].append(int(name))
            ticks[int(name)] = found[1]
    total, todo = own[1], list(children[root])
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children[pid])
    return total / TICKS


def postmaster_of(url: str) -> int | None:
    """The PostgreSQL server's postmaster pid, when the server at ``url`` runs on this machine
    (the parent of this connection's backend); None otherwise."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        (backend,) = con.execute("SELECT pg_backend_pid()").fetchone() or (0,)
    try:  # a pid of this machine that is not the backend: the server is elsewhere
        with open(f"/proc/{backend}/comm") as f:
            if not f.read().startswith("postgres"):
                return None
    except OSError:
        return None
    found = _stat(int(backend))
    return found[0] if found is not None else None
