"""Figures a depositor's overview shows that the ledger does not store: months with no deposit
(断缴月份) and the interest accrued so far in the current interest year (an estimate).

Pure Python: periods are ``YYYYMM`` integers, money integer fen, rates ``Decimal`` fractions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from hpf.calc.periods import period_add

__all__ = ["accrued_interest_estimate", "missing_periods"]


def missing_periods(paid: Iterable[int], first: int, last: int) -> list[int]:
    """Months from ``first`` to ``last`` (inclusive, ``YYYYMM``) with no standing deposit,
    oldest first; empty when ``last`` is before ``first``."""
    have = set(paid)
    out: list[int] = []
    if last < first:
        return out
    period_add(first, 0)  # both valid YYYYMM (PeriodError otherwise)
    period_add(last, 0)
    period = first
    while period <= last:
        if period not in have:
            out.append(period)
        # The next month without re-validating: December steps to January (+ 100 − 11).
        period = period + 1 if period % 100 < 12 else period + 89
    return out


def accrued_interest_estimate(
    *,
    carried_fen: int,
    movements: Iterable[tuple[date, int]],
    annual_rate: Decimal,
    year_start: date,
    today: date,
) -> int:
    """Interest accrued from ``year_start`` (1 July) to ``today`` by the balance-days method,
    as if the year were settled today: (carried × days since year start + Σ amount × days since
    its value date) × rate / 360, rounded once, half up, to the fen. Movements dated after
    ``today`` or before ``year_start`` are ignored; it is an estimate, the settlement on 30 June
    is what counts."""
    if today < year_start:
        return 0
    balance_days = carried_fen * (today - year_start).days
    for value_date, amount_fen in movements:
        if year_start <= value_date <= today:
            balance_days += amount_fen * (today - value_date).days
    with localcontext() as ctx:
        ctx.prec = 50
        interest = Decimal(balance_days) * annual_rate / 360
        return int(interest.to_integral_value(rounding=ROUND_HALF_UP))
