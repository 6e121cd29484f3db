"""Every withdrawal rule of the policy is enforced when the application is filed and again when
it is approved, the refusal naming the rule (issue 11, item 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.common.clock import BUSINESS_TZ, frozen_clock
from hpf.common.errors import PolicyViolation
from hpf.conftest import loan_eligible
from hpf.ledger.services import remittance_post
from hpf.loans.services import loan_create, loan_repayment_post
from hpf.withdrawals.models import Withdrawal, WithdrawalState
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db

RENT, LOAN_REPAYMENT, PURCHASE = "07", "06", "01"


def submit(account, actor, amount, type=RENT):
    return withdrawal_submit(
        account_id=account.pk, type=type, method="BANK_TRANSFER", amount=amount, actor=actor
    )


def approve(w, actor):
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    return withdrawal_approve(withdrawal_id=w.pk, actor=actor)


def refused(code, fn, *args, **kwargs):
    with pytest.raises(PolicyViolation) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code
    return caught.value


# -- rent: at most 1,700.00 a month ------------------------------------------------------------


def test_rent_up_to_the_cap_of_the_months_so_far(owner, actor):
    """November: at most 11 × 1,700.00 = 18,700.00 in 2026, over one or more applications."""
    loan_eligible(owner)  # a balance large enough to test the cap, not the balance
    approve(submit(owner, actor, "10000.00"), actor)
    submit(owner, actor, "8700.00")
    error = refused("RENT_MONTHLY_CAP", submit, owner, actor, "0.01")
    assert "每月最多 1700.00 元" in error.message and "每年最多 20400.00 元" in error.message
    assert Withdrawal.objects.count() == 2


def test_the_seeded_52907_rent_withdrawal_is_refused(owner, actor, employer, unchanged):
    """In December at most 12 × 1,700.00 = 20,400.00 for the year."""
    loan_eligible(owner)
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    owner.refresh_from_db()
    with frozen_clock(dt.date(2026, 12, 20)), unchanged(owner.pk):
        refused("RENT_MONTHLY_CAP", submit, owner, actor, "20400.01")
    with frozen_clock(dt.date(2026, 12, 20)):
        assert submit(owner, actor, "20400.00").amount_fen == 2_040_000


def test_rent_over_the_cap_is_refused_at_approval(owner, actor):
    """An application on file above the cap (written before the rule, like the seeded
    52,907.00 one) cannot be approved."""
    loan_eligible(owner)
    w = Withdrawal.objects.create(
        fund_account=owner,
        type=RENT,
        method="BANK_TRANSFER",
        amount_fen=2_000_000,
        state=WithdrawalState.UNDER_REVIEW,
        submitted_at=dt.datetime(2026, 11, 1, 9, tzinfo=BUSINESS_TZ),
    )
    refused("RENT_MONTHLY_CAP", withdrawal_approve, withdrawal_id=w.pk, actor=actor)
    w.refresh_from_db()
    assert w.state == WithdrawalState.UNDER_REVIEW


def test_a_new_year_starts_a_new_cap(owner, actor, employer):
    loan_eligible(owner)
    submit(owner, actor, "18700.00")
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    with frozen_clock(dt.date(2026, 12, 10)):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202612, actor=actor)
    with frozen_clock(dt.date(2027, 1, 10)):
        refused("RENT_MONTHLY_CAP", submit, owner, actor, "1700.01")
        assert submit(owner, actor, "1700.00").amount_fen == 170_000


# -- rent: three continuous months -------------------------------------------------------------


def test_one_month_of_deposits_cannot_withdraw_rent(other, employer, actor, unchanged):
    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202609, actor=actor)
    with unchanged(other.pk):
        error = refused("RENT_CONTINUITY_SHORT", submit, other, actor, "100.00")
    assert "租房提取须连续足额缴存 3 个月" in error.message


def test_continuity_is_checked_again_at_approval(owner, actor):
    """Filed in November with 3 months (2026-08 to 2026-10); by January nothing more was paid,
    so the account is no longer continuous and the approval is refused."""
    w = submit(owner, actor, "1000.00")
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    with frozen_clock(dt.date(2027, 1, 5)):
        refused("RENT_CONTINUITY_SHORT", withdrawal_approve, withdrawal_id=w.pk, actor=actor)
    assert withdrawal_approve(withdrawal_id=w.pk, actor=actor).state == WithdrawalState.APPROVED


# -- loan repayment: only for a borrower -------------------------------------------------------


def _loan(owner, actor, months):
    loan_eligible(owner)
    return loan_create(
        contract_no="KM2026WR0001",
        borrower_account_id=owner.pk,
        principal="1000.00",
        house_price="100000.00",
        term_months=months,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 10, 1),
        first_due_date=dt.date(2026, 11, 1),
        actor=actor,
    )


def test_loan_repayment_withdrawal_needs_a_loan(owner, actor, unchanged):
    with unchanged(owner.pk):
        error = refused("NO_ACTIVE_LOAN", submit, owner, actor, "1000.00", LOAN_REPAYMENT)
    assert "借款人" in error.message
    _loan(owner, actor, 12)
    assert submit(owner, actor, "1000.00", LOAN_REPAYMENT).state == WithdrawalState.SUBMITTED


def test_loan_repayment_refused_at_approval_once_the_loan_is_paid_off(owner, actor):
    loan = _loan(owner, actor, 1)
    w = submit(owner, actor, "1000.00", LOAN_REPAYMENT)
    loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=dt.date(2026, 11, 1), source="BANK", actor=actor
    )
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    refused("NO_ACTIVE_LOAN", withdrawal_approve, withdrawal_id=w.pk, actor=actor)


def test_other_grounds_have_no_rent_or_loan_rule(other, employer, actor):
    """A purchase withdrawal is limited by the balance alone (the policy has no other rule)."""
    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    assert approve(submit(other, actor, "2400.00", PURCHASE), actor).state == "APPROVED"
