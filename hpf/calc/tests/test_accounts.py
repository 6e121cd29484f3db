"""Hand-computed figures for the portal's calculations: missing months, the accrued-interest
estimate and the early-repayment what-if."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hpf.calc.accounts import accrued_interest_estimate, missing_periods
from hpf.calc.errors import LoanError
from hpf.calc.interest import RatePeriod
from hpf.calc.loans import loan_schedule, prepayment_what_if


def test_missing_periods_across_a_year_end():
    assert missing_periods({202511, 202601}, 202510, 202602) == [202510, 202512, 202602]
    assert missing_periods({202510}, 202510, 202510) == []
    assert missing_periods(set(), 202603, 202602) == []


def _estimate(today: date, day_count: Any) -> int:
    return accrued_interest_estimate(
        carried_fen=1_000_000,
        movements=[(date(2026, 10, 1), 100_000), (date(2026, 12, 1), 999_999)],
        rates=[RatePeriod(date(2016, 2, 21), None, Decimal("0.015"))],
        settlement_date=date(2027, 6, 30),
        today=today,
        day_count=day_count,
        days_in_year=360,
    )


@pytest.mark.parametrize(
    ("day_count", "expected"), [("settlement_exclusive", 5_854), ("both_inclusive", 5_858)]
)
def test_accrued_interest_estimate_by_hand(day_count: Any, expected: int) -> None:
    """10 000.00 carried (valued 2026-06-30), 1 000.00 in on 2026-10-01, today 2026-11-15,
    1.5 %: carried 4 months (to 10-30) + 16 days = 1 000 000 × 0.015 × (4/12 + 16/360)
    = 5 666.67 fen; the deposit 100 000 × 45 days (46 counting both ends) × 0.015 / 360
    = 187.50 (191.67) fen; total 5 854.17 → 5 854 (5 858.33 → 5 858).  The estimate used to
    give 5 896 (137 days of the carried balance ÷ 360, day-count switch ignored)."""
    assert _estimate(date(2026, 11, 15), day_count) == expected


@pytest.mark.parametrize("day_count", ["settlement_exclusive", "both_inclusive"])
def test_accrued_estimate_on_30_june_is_the_settlement(day_count: Any) -> None:
    from hpf.calc.interest import settle_interest_year

    settled = settle_interest_year(
        settlement_date=date(2027, 6, 30),
        carried_balance_fen=1_000_000,
        movements=[(date(2026, 10, 1), 100_000), (date(2026, 12, 1), 999_999)],
        rates=[RatePeriod(date(2016, 2, 21), None, Decimal("0.015"))],
        day_count=day_count,
    )
    assert _estimate(date(2027, 6, 30), day_count) == settled.interest_fen


def _twelve_months():
    # 12,000.00 over 12 months at 3.6 % (i = 0.3 %), equal principal: 1,000.00 a month.
    return loan_schedule(
        principal_fen=1_200_000,
        annual_rate=Decimal("0.036"),
        months=12,
        method="EQUAL_PRINCIPAL",
        first_due_date=date(2026, 1, 20),
    )


def test_prepayment_keep_term_by_hand():
    # After 6 paid, 6,000.00 remain; prepay 3,000.00 with no. 7. Old interest of 7–12:
    # (6,000 + 5,000 + … + 1,000) × 0.3 % = 63.00; no. 7 is charged on 6,000.00 either way
    # (18.00). After it 5,000 − 3,000 = 2,000.00 over 5 months: 400.00 a month, interest on
    # 2,000, 1,600, 1,200, 800, 400 = 18.00; 63.00 − 36.00 = 27.00 saved; next 400.00 + 6.00.
    what = prepayment_what_if(_twelve_months(), 6, 300_000, "term")
    assert what.with_no == 7
    assert what.remaining_principal_fen == 600_000
    assert what.interest_saved_fen == 2_700
    assert what.months_saved == 0
    assert what.months_left == 5
    assert what.next_payment_fen == 40_000 + 600
    assert sum(i.principal_fen for i in what.schedule.instalments) == 1_200_000


def test_prepayment_keep_payment_by_hand():
    # Same prepayment, keeping the 1,000.00 principal part: no. 8 and 9 clear the 2,000.00
    # left after no. 7 (5,000 − 3,000): interest 6.00 + 3.00; saved 63.00 − 18.00 − 9.00 =
    # 36.00 and three months.
    what = prepayment_what_if(_twelve_months(), 6, 300_000, "payment")
    assert what.months_left == 2
    assert what.months_saved == 3
    assert what.interest_saved_fen == 3_600
    assert what.next_payment_fen == 100_000 + 600


def test_prepayment_on_the_last_instalment_is_refused():
    with pytest.raises(LoanError):
        prepayment_what_if(_twelve_months(), 11, 1_000, "term")
