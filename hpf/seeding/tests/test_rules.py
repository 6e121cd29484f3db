"""The seeded city obeys the loan and withdrawal rules the services enforce (issue 11, items
2 and 4): no rent withdrawal above 1,700 a month of the year, none without three continuous
months, no withdrawal for a one-month account, loan repayment withdrawals only for borrowers,
no loan for someone without six continuous months or above the caps and down payment.

And it tells the truth to a newcomer (issue 16): every account opens in the month of its
first deposit inside the seeded history (no months "missing" before the seed began), pending
applications at each step of the approval, rejection reasons that fit the ground, and a paid
withdrawal dated the day the ledger posted it."""

from __future__ import annotations

import pytest

from hpf.calc.accounts import missing_periods
from hpf.calc.continuity import continuous_months_to_now
from hpf.calc.entitlement import max_loan_for_price
from hpf.calc.periods import period_add, period_of
from hpf.common import clock
from hpf.common.clock import BUSINESS_TZ
from hpf.common.policy import get_policy
from hpf.ledger.history import history
from hpf.ledger.standing import paid_periods
from hpf.loans.models import Loan
from hpf.registry.models import AccountStatus, FundAccount
from hpf.seeding.city import PENDING_STATES, REJECT_REASONS, build_city
from hpf.withdrawals.models import CLOSING_TYPES, Withdrawal, WithdrawalState, WithdrawalType


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
        if w.state == WithdrawalState.REJECTED:
            assert w.reject_reason in REJECT_REASONS[WithdrawalType(w.type)], w
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


@pytest.mark.usefixtures("flushable_db")
def test_seeded_history_tells_the_truth():
    """Issue 16: a newcomer sees only the gaps the seed means, withdrawals on their way at
    every step, and paid withdrawals dated as the ledger dates them."""
    report = build_city(depositors=300, years=4, seed=3)
    last = period_add(clock.current_period(), -1)
    accounts = list(FundAccount.objects.all())
    with_gaps = 0
    for account in accounts:
        paid = paid_periods(history(account))
        deposited = sorted(p for p, fen in paid.items() if fen > 0)
        assert deposited, account
        # Opened inside the history, in the month of the first deposit, on or before it.
        assert period_of(account.opened_on) == deposited[0], account
        assert deposited[0] >= report.start_period
        first_value = min(p.value_date for p in account.postings.all() if p.period == deposited[0])
        assert account.opened_on <= first_value, account
        if account.status == AccountStatus.ACTIVE:
            missing = missing_periods(deposited, period_of(account.opened_on), last)
            # Only between deposits: a job change's months between employers or a month
            # deferred and never paid back, never months before the account had money.
            assert all(deposited[0] < p < deposited[-1] for p in missing), account
            with_gaps += bool(missing)
    assert 0 < with_gaps < len(accounts) // 5

    withdrawals = list(Withdrawal.objects.select_related("fund_account", "entry"))
    now = clock.now()
    for state in PENDING_STATES:
        assert any(w.state == state for w in withdrawals), state
    pending_accounts = [w.fund_account_id for w in withdrawals if w.state in PENDING_STATES]
    assert len(pending_accounts) == len(set(pending_accounts))  # one at a time
    for w in withdrawals:
        assert w.submitted_at <= now, w
        if w.state in PENDING_STATES:
            assert w.fund_account.status == AccountStatus.ACTIVE, w
            assert w.entry is None and w.paid_at is None and w.reject_reason == "", w
            assert (w.reviewed_at is not None) == (w.state != WithdrawalState.SUBMITTED), w
            assert (w.decided_at is not None) == (w.state == WithdrawalState.APPROVED), w
        if w.state == WithdrawalState.PAID:
            assert w.entry is not None and w.paid_at is not None and w.decided_at is not None
            assert w.paid_at.astimezone(BUSINESS_TZ).date() == w.entry.value_date, w
            assert w.decided_at <= w.paid_at, w
