"""The one clock: business dates are Asia/Shanghai dates, stored times are UTC.

Everything that needs "today" or "now" asks here, so tests can freeze time in one place
(``frozen_clock``) instead of patching datetime all over the code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, timezone-aware (UTC)."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's business date in Kunming (Asia/Shanghai)."""
    return now().astimezone(BUSINESS_TZ).date()


def current_period() -> int:
    """This month as YYYYMM in business time."""
    d = today()
    return d.year * 100 + d.month


@contextlib.contextmanager
def frozen_clock(at: dt.datetime | dt.date) -> Iterator[None]:
    """Freeze ``now()``/``today()``; a bare date means noon business time on that day."""
    global _frozen
    if isinstance(at, dt.datetime):
        instant = at if at.tzinfo else at.replace(tzinfo=BUSINESS_TZ)
    else:
        instant = dt.datetime(at.year, at.month, at.day, 12, tzinfo=BUSINESS_TZ)
    previous, _frozen = _frozen, instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous
