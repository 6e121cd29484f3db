"""The sign-in back-off shared by the staff and the depositor sign-ins.

A few failures are free; after that each failure starts a lock that doubles from one minute
and never exceeds ``cap_s``. Both sign-ins key their counters by (login, client address), so
the lock slows a guesser without letting one lock the owner out elsewhere for long.
"""

from __future__ import annotations

FREE_FAILURES = 5


def lock_seconds(failures: int, *, cap_s: int, free: int = FREE_FAILURES) -> int:
    """Seconds of the lock that the ``failures``-th failure starts (0: none yet)."""
    if failures < free:
        return 0
    return int(min(60 * 2 ** min(failures - free, 30), cap_s))
