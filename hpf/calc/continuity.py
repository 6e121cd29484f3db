"""Months of continuous full deposits (连续足额缴存), the eligibility test for loans and rent
withdrawals.

Loans and rent withdrawals require that the depositor has paid the full amount due for a
number of consecutive months up to now (policy ``loan.required_continuous_months``,
``withdrawal.rent_required_continuous_months``).  The caller decides which payments count for a
month (whether a later back payment, 补缴, restores a month is the policy switch
``account.back_payment_restores_continuity``); this module only counts.
"""

from __future__ import annotations

from collections.abc import Mapping

from hpf.calc.periods import (
    check_period,
    format_period,
    parse_period,
    period_add,
    period_of,
    period_range,
)

__all__ = [
    "continuous_full_months",
    "continuous_months_to_now",
    "format_period",
    "parse_period",
    "period_add",
    "period_of",
    "period_range",
]


def continuous_full_months(
    paid_by_period: Mapping[int, int],
    due_by_period: Mapping[int, int],
    as_of_period: int,
) -> int:
    """Count consecutive fully paid months ending at ``as_of_period`` (inclusive).

    Units: fen for amounts, ``YYYYMM`` for periods.  Counting goes back month by month from
    ``as_of_period`` and stops at the first month whose due amount is missing or not positive
    (no obligation, e.g. before the account opened or while sealed, so no deposit either), or
    whose paid amount is missing or below the due amount.  Implements 连续足额缴存 as used by
    the loan and rent-withdrawal rules.
    """
    period = check_period(as_of_period)
    months = 0
    while True:
        due = due_by_period.get(period)
        if due is None or due <= 0:
            return months
        if paid_by_period.get(period, 0) < due:
            return months
        months += 1
        # The month before without re-validating: January steps back to December.
        period = period - 1 if period % 100 > 1 else period - 89


def continuous_months_to_now(paid_by_period: Mapping[int, int], current_period: int) -> int:
    """Count consecutive paid months up to now (``current_period``, ``YYYYMM``).

    The count starts at the current month when its deposit has already arrived, otherwise at
    the month before (this month's remittance is normally posted during the month and is not
    yet missing).  It never starts at the last month paid: an account sealed or left unpaid
    since June 2025 has no continuous months in December 2026, however long it paid before.
    Each month counts when ``paid_by_period`` holds a positive standing amount for it; the
    amounts were held to base × ratio when the remittance was accepted.
    """
    current = check_period(current_period)
    period = current if paid_by_period.get(current, 0) > 0 else period_add(current, -1)
    # ``continuous_full_months`` with each month due what was paid for it: the months back
    # from ``period`` while a positive amount stands (one look-up a month, not two).
    months = 0
    while paid_by_period.get(period, 0) > 0:
        months += 1
        period = period - 1 if period % 100 > 1 else period - 89
    return months
