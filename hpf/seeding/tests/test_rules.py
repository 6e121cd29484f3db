"""The seeded city obeys the loan and withdrawal rules the services enforce (issue 11, items
2 and 4): no rent withdrawal above 1,700 a month of the year, none without three continuous
months, no withdrawal for a one-month account, loan repayment withdrawals only for borrowers,
no loan for someone without six continuous months or above the caps and down payment."""

from __future__ import annotations

import pytest

from hpf.calc.continuity import continuous_months_to_now
from hpf.calc.entitlement import max_loan_for_price
from hpf.calc.periods import period_of
from hpf.common.clock import BUSINESS_TZ
from hpf.common.policy import get_policy
from hpf.ledger.history import history
from hpf.ledger.standing import paid_periods
from hpf.loans.models import Loan
from hpf.registry.models import FundAccount
from hpf.seeding.city import build_city
from hpf.withdrawals.models import CLOSING_TYPES, Withdrawal, WithdrawalType


@pytest.mark.usefixtures("flushable_db")
def test_seeded_withdrawals_and_loans_follow_the_rules(ledger_violations):
    build_city(depositors=300, years=6, seed=1)
    policy = get_policy()
    paid = {a.pk: paid_periods(history(a)) for a in FundAccount.objects.all()}
    withdrawals = list(Withdrawal.objects.exclude(type__in=CLOSING_TYPES))
    loans = list(Loan.objects.all())
    assert withdrawals and loans
    rent = 0
    for w in withdrawals:
        day = w.submitted_at.astimezone(BUSINESS_TZ).date()
        months = continuous_months_to_now(paid[w.fund_account_id], period_of(day))
        assert months >= policy.withdrawal.rent_required_continuous_months, w
        if w.type == WithdrawalType.RENT:
            rent += 1
            assert w.amount_fen <= policy.withdrawal.rent_monthly_cap_fen * day.month, w
        if w.type == WithdrawalType.LOAN_REPAYMENT:
            assert any(
                loan.borrower_id == w.fund_account_id
                and loan.disbursed_on <= day
                and (loan.paid_off_on is None or loan.paid_off_on > day)
                for loan in loans
            ), w
    assert rent
    for loan in loans:
        months = continuous_months_to_now(paid[loan.borrower_id], period_of(loan.disbursed_on))
        assert months >= policy.loan.required_continuous_months, loan
        assert loan.principal_fen <= policy.loan.max_single_fen
        assert loan.house_price_fen is not None
        assert loan.principal_fen <= max_loan_for_price(
            loan.house_price_fen, policy.loan.min_down_payment
        )
    assert ledger_violations() == []
