"""Year-month periods (缴存年月) as integers ``YYYYMM``.

Deposits are due, paid and counted per calendar month; the ledger stores the month a
remittance is for as an integer such as ``202501`` so that it sorts, indexes and compares
cheaply.  This module parses, validates, formats and steps such periods; nothing else in the
system does month arithmetic by hand.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Sequence
from datetime import date

from hpf.calc.errors import PeriodError

__all__ = [
    "add_months",
    "check_period",
    "format_period",
    "month_ends",
    "parse_period",
    "period_add",
    "period_first_day",
    "period_of",
    "period_range",
    "periods_between",
]

_PERIOD_RE = re.compile(r"([0-9]{4})-?([0-9]{2})")


def check_period(period: int) -> int:
    """Return ``period`` if it is a valid ``YYYYMM`` (years 1900–9999, months 01–12).

    Raises ``PeriodError("PERIOD_FORMAT")`` otherwise.
    """
    if isinstance(period, bool) or not isinstance(period, int):
        raise PeriodError("PERIOD_FORMAT", f"年月应为整数 YYYYMM：{period!r}")
    year, month = divmod(period, 100)
    if not (1900 <= year <= 9999 and 1 <= month <= 12):
        raise PeriodError("PERIOD_FORMAT", f"年月不正确：{period}（应为 YYYYMM，月份 01–12）")
    return period


def parse_period(raw: str) -> int:
    """Parse ``"202501"`` or ``"2025-01"`` into ``202501``.

    Refuses anything else (``"2025-1"``, ``"202513"``, ``"2025/01"``) with
    ``PeriodError("PERIOD_FORMAT")``: a one-digit month is ambiguous in a six-digit field.
    """
    match = _PERIOD_RE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise PeriodError("PERIOD_FORMAT", f"年月格式不正确：{raw!r}，应为如 202501 或 2025-01")
    return check_period(int(match.group(1)) * 100 + int(match.group(2)))


def format_period(period: int) -> str:
    """Format ``202501`` as ``"2025-01"`` for display and the wire."""
    year, month = divmod(check_period(period), 100)
    return f"{year:04d}-{month:02d}"


def period_of(d: date) -> int:
    """The period ``YYYYMM`` that contains the date ``d``."""
    return d.year * 100 + d.month


def period_first_day(period: int) -> date:
    """The first calendar day of ``period``."""
    year, month = divmod(check_period(period), 100)
    return date(year, month, 1)


def period_add(period: int, months: int) -> int:
    """Step ``period`` by ``months`` (negative steps back): ``period_add(202512, 1) == 202601``."""
    year, month = divmod(check_period(period), 100)
    index = year * 12 + (month - 1) + months
    return check_period((index // 12) * 100 + index % 12 + 1)


def period_range(start: int, end: int) -> Iterator[int]:
    """Yield every period from ``start`` to ``end``, both inclusive; nothing if end < start."""
    current = check_period(start)
    check_period(end)
    while current <= end:
        yield current
        current = period_add(current, 1)


# Every month from January 1950 to December 2100, its period and its last day: a calendar, the
# same for every caller, so that a thirty-year account's month-end series and missing months
# are slices of it rather than hundreds of periods and dates made in each request. Months
# outside it are computed.
_TABLE_YEARS = range(1950, 2101)
_TABLE_PERIODS = tuple(year * 100 + month for year in _TABLE_YEARS for month in range(1, 13))
_TABLE_ENDS = tuple(
    date(year, month, calendar.monthrange(year, month)[1])
    for year in _TABLE_YEARS
    for month in range(1, 13)
)


def _table_slice(first: int, last: int) -> slice | None:
    """Where ``first``–``last`` (valid periods) lie in the calendar, when they all do."""
    start = (first // 100 - _TABLE_YEARS.start) * 12 + first % 100 - 1
    stop = (last // 100 - _TABLE_YEARS.start) * 12 + last % 100
    return slice(start, stop) if start >= 0 and 0 <= stop <= len(_TABLE_PERIODS) else None


def periods_between(first: int, last: int) -> Sequence[int]:
    """``period_range(first, last)`` as a sequence: every period from ``first`` to ``last``,
    both inclusive; empty if ``last`` < ``first``."""
    within = _table_slice(check_period(first), check_period(last))
    return _TABLE_PERIODS[within] if within is not None else list(period_range(first, last))


def month_ends(first: int, last: int) -> Sequence[date]:
    """The last day of every month from ``first`` to ``last`` (periods, both inclusive), in the
    order of ``periods_between``."""
    within = _table_slice(check_period(first), check_period(last))
    if within is not None:
        return _TABLE_ENDS[within]
    return [
        date(p // 100, p % 100, calendar.monthrange(p // 100, p % 100)[1])
        for p in period_range(first, last)
    ]


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (or earlier), moved back to that month's last
    day when it is shorter (31 Jan + 1 → 28/29 Feb; the original day is not remembered)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def statement_years(first: date, today: date) -> list[int]:
    """The years an account's statement can be filtered by, newest first: this year back to
    the year of ``first``, the account's opening day (no posting precedes it) — one rule for
    the portal and the counter, so neither stops short of the history nor lists empty years."""
    return list(range(today.year, min(first.year, today.year) - 1, -1))
