"""Hand-computed figures for the portal's calculations: missing months, the accrued-interest
estimate and the early-repayment what-if."""

from datetime import date
from decimal import Decimal

import pytest

from hpf.calc.accounts import accrued_interest_estimate, missing_periods
from hpf.calc.errors import LoanError
from hpf.calc.loans import loan_schedule, prepayment_what_if


def test_missing_periods_across_a_year_end():
    assert missing_periods({202511, 202601}, 202510, 202602) == [202510, 202512, 202602]
    assert missing_periods({202510}, 202510, 202510) == []
    assert missing_periods(set(), 202603, 202602) == []


def test_accrued_interest_estimate_by_hand():
    # 10,000.00 carried from 2026-07-01, 1,000.00 in on 2026-10-01, today 2026-11-15, 1.5 %:
    # balance-days = 1,000,000 × 137 + 100,000 × 45 = 141,500,000 fen·days;
    # × 0.015 / 360 = 5,895.83… → 5,896 fen (58.96 yuan).
    fen = accrued_interest_estimate(
        carried_fen=1_000_000,
        movements=[(date(2026, 10, 1), 100_000), (date(2026, 12, 1), 999_999)],
        annual_rate=Decimal("0.015"),
        year_start=date(2026, 7, 1),
        today=date(2026, 11, 15),
    )
    assert fen == 5_896


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
