"""Figures a depositor's overview shows that the ledger does not store: months with no deposit
(断缴月份) and the interest accrued so far in the current interest year (an estimate).

Pure Python: periods are ``YYYYMM`` integers, money integer fen, rates ``Decimal`` fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP

from hpf.calc.interest import DayCount, RatePeriod, accrue_interest, interest_year_start
from hpf.calc.periods import periods_between

__all__ = ["accrued_interest_estimate", "missing_periods"]


def missing_periods(paid: Iterable[int], first: int, last: int) -> list[int]:
    """Months from ``first`` to ``last`` (inclusive, ``YYYYMM``) with no standing deposit,
    oldest first; empty when ``last`` is before ``first``."""
    if last < first:
        return []
    have = paid if isinstance(paid, (set, frozenset)) else set(paid)
    return [period for period in periods_between(first, last) if period not in have]


def accrued_interest_estimate(
    *,
    carried_fen: int,
    movements: Iterable[tuple[date, int]],
    rates: Sequence[RatePeriod],
    settlement_date: date,
    today: date,
    day_count: DayCount,
    days_in_year: int,
    rounding: str = ROUND_HALF_UP,
) -> int:
    """Interest accrued in the interest year ending ``settlement_date`` up to ``today``, as if
    the account were closed today: ``hpf.calc.interest.accrue_interest`` with the policy's
    day-count switch, days-in-year and rounding, so that the estimate follows the rule the
    settlement and 销户结息 pay by (whole months of the carried balance at rate / 12, odd days
    and this year's movements at rate / ``days_in_year``).  Movements valued after ``today`` or
    before the year start are left out; before the year has begun it is 0.  Negative interest
    (an overdrawn history) shows as 0, as the settlement pays none.  An estimate: the
    settlement on 30 June is what counts.
    """
    year_start = interest_year_start(settlement_date)
    if today < year_start:
        return 0
    on = min(today, settlement_date)
    result = accrue_interest(
        settlement_date=settlement_date,
        on=on,
        carried_balance_fen=max(carried_fen, 0),
        movements=[(d, a) for d, a in movements if year_start <= d <= on],
        rates=rates,
        day_count=day_count,
        days_in_year=days_in_year,
        rounding=rounding,
    )
    return max(result.interest_fen, 0)
