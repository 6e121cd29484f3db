"""Reversal (冲正) of whole entries and of one depositor's line of a batch entry."""

import datetime as dt

import pytest
from django.db import transaction

from hpf.common.errors import AlreadyReversed, InvalidInput, NotFound, PolicyViolation
from hpf.ledger.models import CentreCode, JournalEntry, Posting, Reason
from hpf.ledger.services import Line, entry_post, entry_reverse, remittance_post
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(owner, other, employer, actor):
    """One employer's remittance list for a month as one entry: two depositors and the
    clearing side (the way imports and the seed post it)."""
    with transaction.atomic():
        return entry_post(
            reason=Reason.CORRECTION,
            value_date=dt.date(2026, 11, 10),
            period=202611,
            source_key="batch:test:1",
            actor=actor,
            lines=[
                Line(50_000, fund_account_id=owner.pk, employer_id=employer.pk),
                Line(30_000, fund_account_id=other.pk, employer_id=employer.pk),
                Line(-80_000, centre=CentreCode.REMITTANCE_CLEARING),
            ],
        )


def test_reverse_one_depositors_line(batch, owner, other, actor, audited):
    """Only the named depositor's posting is cancelled, with the opposite amount and a link
    to it; the clearing side is cancelled by the same amount; the other depositor keeps his."""
    reversal = entry_reverse(
        entry_id=batch.pk, fund_account_id=owner.pk, reason_text="重复入账", actor=actor
    )
    event = audited("ledger.reverse", owner.pk)
    assert event.details == {"entry": reversal.pk, "reverses": batch.pk}
    assert event.purpose == "重复入账"
    assert (reversal.reason, reversal.reverses_id, reversal.period) == (
        Reason.REVERSAL,
        batch.pk,
        202611,
    )
    cancelled = batch.postings.get(fund_account_id=owner.pk)
    lines = {(p.fund_account_id, p.centre_account_id): p for p in reversal.postings.all()}
    assert set(lines) == {(owner.pk, None), (None, CentreCode.REMITTANCE_CLEARING)}
    assert lines[owner.pk, None].amount_fen == -50_000
    assert lines[owner.pk, None].reverses_id == cancelled.pk
    assert lines[None, CentreCode.REMITTANCE_CLEARING].amount_fen == 50_000
    owner.refresh_from_db()
    other.refresh_from_db()
    assert owner.balance_fen == 720_000
    assert other.balance_fen == 30_000


def test_second_reversal_refused(batch, owner, other, actor, unchanged):
    """The same line cannot be reversed twice, nor the whole entry once part of it was; the
    other depositor's line still can be."""
    entry_reverse(entry_id=batch.pk, fund_account_id=owner.pk, reason_text="重复", actor=actor)
    with unchanged(owner.pk, other.pk), pytest.raises(AlreadyReversed):
        entry_reverse(entry_id=batch.pk, fund_account_id=owner.pk, reason_text="重复", actor=actor)
    with unchanged(owner.pk, other.pk), pytest.raises(AlreadyReversed):
        entry_reverse(entry_id=batch.pk, reason_text="全部冲正", actor=actor)
    entry_reverse(entry_id=batch.pk, fund_account_id=other.pk, reason_text="重复", actor=actor)
    other.refresh_from_db()
    assert other.balance_fen == 0


def test_reversal_refusals(batch, owner, other, actor, unchanged):
    """No reason, a depositor not in the entry, and a reversal of a reversal are refused."""
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        entry_reverse(entry_id=batch.pk, fund_account_id=owner.pk, reason_text=" ", actor=actor)
    with unchanged(owner.pk), pytest.raises(NotFound):
        entry_reverse(
            entry_id=batch.pk, fund_account_id=other.pk + 1000, reason_text="x", actor=actor
        )
    reversal = entry_reverse(
        entry_id=batch.pk, fund_account_id=owner.pk, reason_text="x", actor=actor
    )
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        entry_reverse(entry_id=reversal.pk, reason_text="x", actor=actor)


def test_reversal_that_would_make_balance_negative_refused(owner, employer, actor, unchanged):
    """A deposit already withdrawn cannot be reversed."""
    w = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="7000.00", actor=actor
    )
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    entry = Posting.objects.get(fund_account=owner, period=202610).entry
    with unchanged(owner.pk), pytest.raises(PolicyViolation):
        entry_reverse(entry_id=entry.pk, reason_text="基数报错", actor=actor)


def test_reversing_last_remittance_reopens_the_month(owner, employer, actor, audited):
    """Reversing 202610's remittance moves paid-through back to 202609, and 202610 can then
    be remitted again (at the corrected base)."""
    entry = JournalEntry.objects.get(postings__fund_account=owner, period=202610)
    entry_reverse(entry_id=entry.pk, reason_text="基数报错", actor=actor)
    audited("ledger.reverse", owner.pk)
    owner.refresh_from_db()
    assert (owner.paid_through, owner.balance_fen) == (202609, 480_000)
    again = remittance_post(
        account_id=owner.pk, employer_id=employer.pk, period=202610, actor=actor
    )
    audited("deposit.remittance", owner.pk)
    assert again.pk != entry.pk
    owner.refresh_from_db()
    assert (owner.paid_through, owner.balance_fen) == (202610, 720_000)


def test_reversing_a_middle_month_keeps_paid_through(owner, actor):
    entry = JournalEntry.objects.get(postings__fund_account=owner, period=202609)
    entry_reverse(entry_id=entry.pk, reason_text="基数报错", actor=actor)
    owner.refresh_from_db()
    assert owner.paid_through == 202610


def test_whole_entry_reversal_pairs_every_posting(batch, owner, other, actor, audited):
    """Reversing a whole batch cancels each depositor's line and the clearing posting
    itself, each reversing posting pointing at the one it cancels."""
    reversal = entry_reverse(entry_id=batch.pk, reason_text="整笔退回单位", actor=actor)
    pairs = sorted(reversal.postings.values_list("amount_fen", "reverses__amount_fen"))
    assert pairs == [(-50_000, 50_000), (-30_000, 30_000), (80_000, -80_000)]
    audited("ledger.reverse", other.pk)


@pytest.mark.parametrize("reason", [Reason.LOAN_DISBURSEMENT, Reason.INTEREST, Reason.WITHDRAWAL])
def test_bare_reversal_refused_for_records_with_their_own_life(owner, actor, unchanged, reason):
    """Loan, interest and withdrawal entries belong to records (a loan, a settlement, a
    withdrawal) that a bare ledger reversal would contradict: refused, nothing written."""
    with transaction.atomic():
        entry = entry_post(
            reason=reason,
            value_date=dt.date(2026, 11, 1),
            source_key=f"t:{reason}",
            actor=actor,
            lines=[
                Line(-1000, fund_account_id=owner.pk),
                Line(1000, centre=CentreCode.WITHDRAWAL_PAYOUT),
            ],
        )
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        entry_reverse(entry_id=entry.pk, reason_text="错发", actor=actor)
