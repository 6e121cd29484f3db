"""The withdrawal state machine (提取) and closing withdrawals (提取销户)."""

import datetime as dt
from decimal import Decimal

import pytest

from hpf.common.clock import BUSINESS_TZ, frozen_clock
from hpf.common.errors import (
    AccountClosed,
    AccountFrozen,
    InsufficientBalance,
    InvalidInput,
    InvalidTransition,
)
from hpf.ledger.models import CentreCode, Reason
from hpf.ledger.services import back_payment_post, remittance_post
from hpf.registry.models import AccountStatus, ClosingReason, FreezeMode
from hpf.registry.services import account_freeze
from hpf.withdrawals.models import WithdrawalState
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_cancel,
    withdrawal_fail,
    withdrawal_pay,
    withdrawal_reject,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def at(hour):
    return dt.datetime(2026, 11, 15, hour, tzinfo=BUSINESS_TZ)


def submit(account, actor, amount="1000.00", type="07"):
    return withdrawal_submit(
        account_id=account.pk, type=type, method="BANK_TRANSFER", amount=amount, actor=actor
    )


def test_full_state_machine_with_timestamps(owner, actor, audited):
    """submitted → under review → approved → paid, each step stamped with its own time and
    audited; only payment moves the ledger."""
    with frozen_clock(at(9)):
        w = submit(owner, actor, "1500.00")
    audited("withdrawal.submit", owner.pk)
    assert (w.state, w.amount_fen, w.submitted_at) == (WithdrawalState.SUBMITTED, 150_000, at(9))
    assert w.bank_card_masked == owner.depositor.bank_card_masked
    with frozen_clock(at(10)):
        withdrawal_review(withdrawal_id=w.pk, actor=actor)
    audited("withdrawal.review", owner.pk)
    with frozen_clock(at(11)):
        withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    audited("withdrawal.approve", owner.pk)
    owner.refresh_from_db()
    assert owner.balance_fen == 720_000
    with frozen_clock(at(12)):
        withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    event = audited("withdrawal.pay", owner.pk)
    w.refresh_from_db()
    assert w.state == WithdrawalState.PAID
    assert (w.submitted_at, w.reviewed_at, w.decided_at, w.paid_at) == (
        at(9),
        at(10),
        at(11),
        at(12),
    )
    assert event.details == {"withdrawal": w.pk, "entry": w.entry_id, "closed": False}
    assert w.entry.reason == Reason.WITHDRAWAL
    assert set(
        w.entry.postings.values_list("fund_account_id", "centre_account_id", "amount_fen")
    ) == {(None, CentreCode.WITHDRAWAL_PAYOUT, 150_000), (owner.pk, None, -150_000)}
    owner.refresh_from_db()
    assert (owner.balance_fen, owner.status) == (570_000, AccountStatus.ACTIVE)


def test_reject_cancel_and_failed_payment(owner, actor, audited):
    """Reject (with reason) and cancel end an application; a failed payment posts nothing
    and may be approved again and paid."""
    w1 = submit(owner, actor)
    withdrawal_reject(withdrawal_id=w1.pk, reason="材料不全", actor=actor)
    audited("withdrawal.reject", owner.pk)
    w2 = submit(owner, actor)
    withdrawal_cancel(withdrawal_id=w2.pk, actor=actor)
    audited("withdrawal.cancel", owner.pk)
    w3 = submit(owner, actor)
    withdrawal_review(withdrawal_id=w3.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w3.pk, actor=actor)
    withdrawal_fail(withdrawal_id=w3.pk, reason="银行卡已注销", actor=actor)
    audited("withdrawal.fail", owner.pk)
    w3.refresh_from_db()
    assert (w3.state, w3.entry_id, w3.reject_reason) == (
        WithdrawalState.FAILED,
        None,
        "银行卡已注销",
    )
    owner.refresh_from_db()
    assert owner.balance_fen == 720_000
    withdrawal_approve(withdrawal_id=w3.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w3.pk, actor=actor)
    audited("withdrawal.pay", owner.pk)
    w1.refresh_from_db()
    assert (w1.state, w1.reject_reason) == (WithdrawalState.REJECTED, "材料不全")


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ((), withdrawal_approve),  # approval needs a review first
        ((), withdrawal_pay),
        ((withdrawal_review,), withdrawal_cancel),  # too late to cancel
        ((withdrawal_review,), withdrawal_pay),
        ((withdrawal_review, withdrawal_approve), withdrawal_review),
        ((withdrawal_review, withdrawal_approve, withdrawal_pay), withdrawal_pay),
        ((withdrawal_review, withdrawal_approve, withdrawal_pay), withdrawal_cancel),
        ((withdrawal_cancel,), withdrawal_review),
    ],
)
def test_invalid_transitions_refused(owner, actor, unchanged, steps, refused):
    w = submit(owner, actor)
    for step in steps:
        step(withdrawal_id=w.pk, actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        refused(withdrawal_id=w.pk, actor=actor)


def test_reject_after_payment_refused(owner, actor, unchanged):
    w = submit(owner, actor)
    for step in (withdrawal_review, withdrawal_approve, withdrawal_pay):
        step(withdrawal_id=w.pk, actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        withdrawal_reject(withdrawal_id=w.pk, reason="晚了", actor=actor)


def test_beyond_balance_refused(owner, actor, unchanged):
    """More than the balance (7 200.00) is refused at submission."""
    with unchanged(owner.pk), pytest.raises(InsufficientBalance):
        submit(owner, actor, "7200.01")


def test_approved_withdrawals_count_against_the_balance(owner, actor, unchanged):
    """Two applications of 4 000.00 each: once one is approved, the other cannot be."""
    w1, w2 = submit(owner, actor, "4000.00"), submit(owner, actor, "4000.00")
    for w in (w1, w2):
        withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w1.pk, actor=actor)
    with unchanged(owner.pk), pytest.raises(InsufficientBalance):
        withdrawal_approve(withdrawal_id=w2.pk, actor=actor)


@pytest.mark.parametrize(
    ("type", "method", "amount"),
    [
        ("42", "BANK_TRANSFER", "1.00"),
        ("07", "PIGEON", "1.00"),
        ("07", "BANK_TRANSFER", None),
        ("03", "BANK_TRANSFER", "1.00"),
    ],
)
def test_bad_application_refused(owner, actor, unchanged, type, method, amount):
    """Unknown type or method, no amount, or a closing ground for less than the balance."""
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        withdrawal_submit(account_id=owner.pk, type=type, method=method, amount=amount, actor=actor)


@pytest.mark.parametrize("mode", [FreezeMode.RECEIVE_ONLY, FreezeMode.NO_MOVEMENT])
def test_frozen_account_refused(owner, actor, unchanged, mode):
    w = submit(owner, actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    account_freeze(account_id=owner.pk, mode=mode, reason="司法", actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        submit(owner, actor)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        withdrawal_approve(withdrawal_id=w.pk, actor=actor)


def test_frozen_after_approval_cannot_be_paid(owner, actor, unchanged):
    w = submit(owner, actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    account_freeze(account_id=owner.pk, mode=FreezeMode.NO_MOVEMENT, reason="司法", actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountFrozen):
        withdrawal_pay(withdrawal_id=w.pk, actor=actor)


def test_closing_withdrawal_pays_all_and_closes(owner, employer, actor, audited, unchanged):
    """Retirement (type 03) takes the whole balance, closes the account (reason 05, closed
    today) and from then on deposits and withdrawals are refused."""
    w = withdrawal_submit(account_id=owner.pk, type="03", method="BANK_TRANSFER", actor=actor)
    assert w.amount_fen == 720_000
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    event = audited("withdrawal.pay", owner.pk)
    assert event.details["closed"] is True
    w.refresh_from_db()
    assert w.entry is not None and w.entry.reason == Reason.CLOSING_WITHDRAWAL
    owner.refresh_from_db()
    assert owner.balance_fen == 0
    assert (owner.status, owner.closing_reason, owner.closed_on) == (
        AccountStatus.CLOSED,
        ClosingReason.WITHDRAWN,
        dt.date(2026, 11, 15),
    )
    with unchanged(owner.pk), pytest.raises(AccountClosed):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountClosed):
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202609,
            base="10000.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )
    with unchanged(owner.pk), pytest.raises(AccountClosed):
        submit(owner, actor)


def test_closing_withdrawal_pays_deposits_that_arrived_after_approval(owner, employer, actor):
    """A remittance after approval is paid out too: closing empties the account whatever the
    balance was when the application was made."""
    w = withdrawal_submit(account_id=owner.pk, type="05", method="BANK_TRANSFER", actor=actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    paid = withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    owner.refresh_from_db()
    assert (owner.balance_fen, owner.status) == (0, AccountStatus.CLOSED)
    assert paid.amount_fen > 960_000
    assert paid.entry is not None
    assert paid.entry.postings.get(fund_account=owner).amount_fen == -paid.amount_fen


def test_closing_withdrawal_refused_while_another_application_is_open(owner, actor, unchanged):
    """An ordinary application still under review must be settled before the account is
    closed."""
    ordinary = submit(owner, actor, "100.00")
    withdrawal_review(withdrawal_id=ordinary.pk, actor=actor)
    w = withdrawal_submit(account_id=owner.pk, type="03", method="BANK_TRANSFER", actor=actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    withdrawal_reject(withdrawal_id=ordinary.pk, reason="申请人撤回", actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    owner.refresh_from_db()
    assert owner.status == AccountStatus.CLOSED


def test_closing_withdrawal_of_empty_account_refused(other, actor, unchanged):
    with unchanged(other.pk), pytest.raises(InsufficientBalance):
        withdrawal_submit(account_id=other.pk, type="03", method="BANK_TRANSFER", actor=actor)
