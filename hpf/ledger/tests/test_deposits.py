"""Remittances (汇缴) and back payments (补缴) through the ledger services."""

import datetime as dt
from decimal import Decimal

import pytest

from hpf.common.errors import (
    AccountClosed,
    AccountSealed,
    EmployerMismatch,
    FuturePeriod,
    InvalidAmount,
    InvalidInput,
    PeriodAlreadyPaid,
    PeriodNotDue,
)
from hpf.ledger.models import CentreCode, Posting, Reason
from hpf.ledger.services import back_payment_post, entry_reverse, remittance_post
from hpf.registry.models import FundAccount
from hpf.registry.services import account_seal
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def test_remittance_of_next_month(owner, employer, actor, audited):
    """The next unpaid month is posted: one personal credit with its deposit detail and the
    clearing debit, paid-through advances, the account's balance grows."""
    entry = remittance_post(
        account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor
    )
    event = audited("deposit.remittance", owner.pk)
    assert event.details == {"entry": entry.pk, "period": 202611, "amount_fen": 240_000}
    assert (entry.reason, entry.period, entry.value_date) == (
        Reason.REMITTANCE,
        202611,
        dt.date(2026, 11, 15),
    )
    personal = entry.postings.get(fund_account_id=owner.pk)
    assert (personal.amount_fen, personal.employer_fen, personal.employee_fen) == (
        240_000,
        120_000,
        120_000,
    )
    assert personal.deposit_base_fen == 1_000_000
    assert personal.employer_ratio == Decimal("0.12")
    clearing = entry.postings.get(centre_account_id=CentreCode.REMITTANCE_CLEARING)
    assert clearing.amount_fen == -240_000
    owner.refresh_from_db()
    assert (owner.paid_through, owner.balance_fen) == (202611, 960_000)


def test_first_remittance_is_the_opening_month(other, employer, actor, audited):
    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    audited("deposit.remittance", other.pk)
    other.refresh_from_db()
    assert other.paid_through == 202608


@pytest.mark.parametrize("period", [202608, 202610])
def test_paid_month_refused(owner, employer, actor, unchanged, period):
    """A month already paid is never paid twice."""
    with unchanged(owner.pk), pytest.raises(PeriodAlreadyPaid):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=period, actor=actor)


def test_gap_refused(other, employer, actor, unchanged):
    """Skipping a month is refused: 202608 is due, not 202609."""
    with unchanged(other.pk), pytest.raises(PeriodNotDue) as exc:
        remittance_post(account_id=other.pk, employer_id=employer.pk, period=202609, actor=actor)
    assert "2026-08" in exc.value.message or "202608" in exc.value.message


def test_month_before_opening_refused(other, employer, actor, unchanged):
    with unchanged(other.pk), pytest.raises(PeriodNotDue):
        remittance_post(account_id=other.pk, employer_id=employer.pk, period=202607, actor=actor)


def test_future_month_refused(owner, employer, actor, unchanged):
    """December cannot be paid in November, even though it would follow on after 202611."""
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    with unchanged(owner.pk), pytest.raises(FuturePeriod):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202612, actor=actor)


def test_malformed_period_refused(owner, employer, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202613, actor=actor)


def test_sealed_account_refused(owner, employer, actor, unchanged):
    account_seal(account_id=owner.pk, reason="离职", actor=actor)
    with unchanged(owner.pk), pytest.raises(AccountSealed):
        remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)


def _close(account, actor):
    w = withdrawal_submit(account_id=account.pk, type="03", method="BANK_TRANSFER", actor=actor)
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)


def test_closed_account_refused(owner, employer, actor, unchanged):
    """A closed account takes neither a remittance nor a back payment."""
    _close(owner, actor)
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


def test_other_employer_refused(owner, employer2, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(EmployerMismatch):
        remittance_post(account_id=owner.pk, employer_id=employer2.pk, period=202611, actor=actor)


def _reverse_line(account, period, actor):
    entry = Posting.objects.get(fund_account=account, period=period, reason=Reason.REMITTANCE).entry
    return entry_reverse(
        entry_id=entry.pk, fund_account_id=account.pk, reason_text="基数报错", actor=actor
    )


def test_back_payment_for_month_without_deposit(owner, employer, actor, audited):
    """After 202609's remittance is reversed, the month has no standing deposit and is paid
    back at the given base and ratios; paid-through does not move."""
    _reverse_line(owner, 202609, actor)
    entry = back_payment_post(
        account_id=owner.pk,
        employer_id=employer.pk,
        period=202609,
        base="12000.00",
        employer_ratio=Decimal("0.10"),
        employee_ratio=Decimal("0.08"),
        actor=actor,
    )
    event = audited("deposit.back_payment", owner.pk)
    assert event.details == {"entry": entry.pk, "period": 202609, "amount_fen": 216_000}
    assert entry.reason == Reason.BACK_PAYMENT
    personal = entry.postings.get(fund_account_id=owner.pk)
    assert (personal.amount_fen, personal.employer_fen) == (216_000, 120_000)
    owner.refresh_from_db()
    assert owner.paid_through == 202610
    assert owner.balance_fen == 720_000 - 240_000 + 216_000


def test_back_payment_refused_when_month_has_standing_deposit(owner, employer, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(PeriodAlreadyPaid):
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202609,
            base="10000.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )


def test_back_payment_twice_refused(owner, employer, actor, unchanged):
    _reverse_line(owner, 202609, actor)
    kwargs = dict(
        account_id=owner.pk,
        employer_id=employer.pk,
        period=202609,
        base="10000.00",
        employer_ratio=Decimal("0.12"),
        employee_ratio=Decimal("0.12"),
        actor=actor,
    )
    back_payment_post(**kwargs)
    with unchanged(owner.pk), pytest.raises(PeriodAlreadyPaid):
        back_payment_post(**kwargs)


def test_back_payment_beyond_paid_through_refused(owner, employer, actor, unchanged):
    """The next month is a remittance, not a back payment."""
    with unchanged(owner.pk), pytest.raises(PeriodNotDue):
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202611,
            base="10000.00",
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )


@pytest.mark.parametrize("base", ["10000.001", "0", "0.00", "-100.00", 10000.0])
def test_back_payment_bad_amount_refused(owner, employer, actor, unchanged, base):
    """A base with three decimals, zero, negative or a float is refused as InvalidAmount."""
    _reverse_line(owner, 202609, actor)
    with unchanged(owner.pk), pytest.raises(InvalidAmount) as exc:
        back_payment_post(
            account_id=owner.pk,
            employer_id=employer.pk,
            period=202609,
            base=base,
            employer_ratio=Decimal("0.12"),
            employee_ratio=Decimal("0.12"),
            actor=actor,
        )
    assert exc.value.code == "INVALID_AMOUNT"


def test_cached_balances_equal_postings_after_a_month_of_business(owner, other, employer, actor):
    """The control total holds: all fund postings = minus all centre postings."""
    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    remittance_post(account_id=owner.pk, employer_id=employer.pk, period=202611, actor=actor)
    personal = sum(
        Posting.objects.filter(fund_account__isnull=False).values_list("amount_fen", flat=True)
    )
    centre = sum(
        Posting.objects.filter(centre_account__isnull=False).values_list("amount_fen", flat=True)
    )
    assert personal == -centre == sum(FundAccount.objects.values_list("balance_fen", flat=True))
    assert personal == 4 * 240_000 + 240_000
