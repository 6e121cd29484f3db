"""Closing an account (销户提取) pays this interest year's interest to the day."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.common.clock import frozen_clock
from hpf.interest.models import InterestSettlement
from hpf.interest.services import interest_settle
from hpf.ledger.models import Posting, Reason
from hpf.registry.models import AccountStatus
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def close(account, actor):
    w = withdrawal_submit(account_id=account.pk, type="03", method="BANK_TRANSFER", actor=actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    return withdrawal_pay(withdrawal_id=w.pk, actor=actor)


def test_closing_pays_interest_to_the_day(owner, actor, ledger_violations):
    """Deposits of 2 400.00 valued 10 Aug, 10 Sep and 10 Oct 2026, closed on 15 Nov 2026:
    (97 + 66 + 36) days × 2 400.00 × 1.50 % / 360 = 19.90, paid out with the balance."""
    paid = close(owner, actor)
    owner.refresh_from_db()
    assert paid.amount_fen == 720_000 + 1_990
    assert owner.status == AccountStatus.CLOSED
    assert owner.balance_fen == 0
    interest = Posting.objects.get(fund_account=owner, reason=Reason.INTEREST)
    assert interest.amount_fen == 1_990
    assert interest.value_date == dt.date(2026, 11, 15)
    settlement = InterestSettlement.objects.get(fund_account=owner)
    assert (settlement.interest_year, settlement.interest_fen) == (2027, 1_990)
    assert settlement.balance_days_fen == 240_000 * (97 + 66 + 36)
    assert ledger_violations() == []


def test_the_june_run_does_not_settle_a_closed_account_again(
    owner, other, actor, ledger_violations
):
    """The 30 June run that follows skips the closed account: one settlement per year."""
    close(owner, actor)
    with frozen_clock(dt.date(2027, 7, 1)):
        interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
    assert InterestSettlement.objects.filter(fund_account=owner, interest_year=2027).count() == 1
    assert InterestSettlement.objects.filter(fund_account=other, interest_year=2027).count() == 1
    assert ledger_violations() == []
