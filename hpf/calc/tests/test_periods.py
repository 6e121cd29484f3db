"""periods and continuity: YYYYMM arithmetic and months of continuous full deposits."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpf.calc.continuity import continuous_full_months, continuous_months_to_now
from hpf.calc.errors import CalcError
from hpf.calc.periods import (
    format_period,
    month_ends,
    parse_period,
    period_add,
    period_of,
    period_range,
    periods_between,
)


@pytest.mark.parametrize(("raw", "period"), [("202501", 202501), ("2025-12", 202512)])
def test_parse_period(raw: str, period: int) -> None:
    """YYYYMM and YYYY-MM parse."""
    assert parse_period(raw) == period


@pytest.mark.parametrize("raw", ["202513", "202500", "2025-1", "2025/01", "25-01", "", "abcdef"])
def test_parse_period_refuses(raw: str) -> None:
    """Impossible months and ambiguous forms are PERIOD_FORMAT."""
    with pytest.raises(CalcError) as info:
        parse_period(raw)
    assert info.value.code == "PERIOD_FORMAT"


def test_period_helpers() -> None:
    """Stepping crosses year ends both ways; ranges are inclusive."""
    assert period_add(202512, 1) == 202601
    assert period_add(202501, -1) == 202412
    assert period_add(202506, -18) == 202312
    assert format_period(202501) == "2025-01"
    assert period_of(date(2025, 3, 31)) == 202503
    assert list(period_range(202411, 202502)) == [202411, 202412, 202501, 202502]
    assert list(period_range(202502, 202501)) == []


@given(st.integers(1950, 2100), st.integers(1, 12), st.integers(-600, 600))
def test_period_add_inverse(year: int, month: int, months: int) -> None:
    """Adding then subtracting the same number of months is the identity."""
    period = year * 100 + month
    assert period_add(period_add(period, months), -months) == period


_PERIODS = st.builds(lambda y, m: y * 100 + m, st.integers(1900, 2200), st.integers(1, 12))


@given(_PERIODS, _PERIODS)
def test_periods_between_is_period_range(first: int, last: int) -> None:
    """Inside the calendar table, across its ends and outside it: the same months as
    ``period_range``, and each month's last day."""
    periods = list(periods_between(first, last))
    assert periods == list(period_range(first, last))
    assert list(month_ends(first, last)) == [
        date(p // 100, p % 100, calendar.monthrange(p // 100, p % 100)[1]) for p in periods
    ]


def test_month_ends() -> None:
    assert list(month_ends(202311, 202403)) == [
        date(2023, 11, 30),
        date(2023, 12, 31),
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]
    assert list(month_ends(210012, 210102)) == [
        date(2100, 12, 31),
        date(2101, 1, 31),
        date(2101, 2, 28),
    ]
    assert list(periods_between(202402, 202401)) == [] == list(month_ends(202402, 202401))
    with pytest.raises(CalcError):
        periods_between(202413, 202501)


def test_continuous_full_months() -> None:
    """Counts back from as_of and stops at the first short or missing month."""
    due = {p: 1000 for p in period_range(202401, 202412)}
    paid = dict(due)
    assert continuous_full_months(paid, due, 202412) == 12
    paid[202409] = 999  # short by one fen
    assert continuous_full_months(paid, due, 202412) == 3
    del paid[202411]
    assert continuous_full_months(paid, due, 202412) == 1
    assert continuous_full_months(paid, due, 202501) == 0  # nothing due yet
    paid[202412] = 5000  # overpaying a month is still full
    assert continuous_full_months(paid, due, 202412) == 1


@given(
    st.dictionaries(st.integers(0, 40), st.integers(-1, 2), max_size=40),
    st.integers(0, 40),
)
def test_continuous_months_to_now_counts_as_full_months(
    paid_by_offset: dict[int, int], now_offset: int
) -> None:
    """To now, each month is due what was paid for it: the count is ``continuous_full_months``
    of the paid months against themselves, from this month when paid, else the month before."""
    paid = {period_add(202312, offset): fen for offset, fen in paid_by_offset.items()}
    now = period_add(202312, now_offset)
    start = now if paid.get(now, 0) > 0 else period_add(now, -1)
    assert continuous_months_to_now(paid, now) == continuous_full_months(paid, paid, start)
