"""The read views of interest, withdrawals and loans: figures, timelines, ownership, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from hpf.audit.models import AuditEvent
from hpf.audit.services import Actor
from hpf.common.clock import frozen_clock
from hpf.common.errors import NotFound
from hpf.conftest import loan_eligible
from hpf.interest.selectors import interest_history
from hpf.interest.services import interest_settle
from hpf.loans.selectors import loan_list
from hpf.loans.services import loan_create, loan_repayment_post
from hpf.withdrawals.selectors import withdrawal_list
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_reject,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def latest_event() -> AuditEvent:
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    return event


def me(account) -> Actor:
    return Actor(f"depositor:{account.depositor_id}", "mobile")


@pytest.fixture
def readers():
    return {"interest": interest_history, "withdrawals": withdrawal_list, "loans": loan_list}


@pytest.mark.parametrize("view", ["interest", "withdrawals", "loans"])
def test_it_validates_ownership(owner, other, readers, view):
    """Someone else's account is as invisible as a missing one; the owner's read is audited."""
    read = readers[view]
    with pytest.raises(NotFound):
        read(actor=me(other), account_id=owner.pk)
    read(actor=me(owner), account_id=owner.pk)
    event = latest_event()
    assert (event.action, event.subject_account_id, event.details) == (
        "account.read",
        owner.pk,
        {"view": view},
    )


def test_withdrawal_timeline(owner, actor):
    """Each application lists its steps in order; a rejection carries its reason."""
    paid = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", actor=actor, amount="1000.00"
    )
    withdrawal_review(withdrawal_id=paid.pk, actor=actor)
    withdrawal_approve(withdrawal_id=paid.pk, actor=actor)
    withdrawal_pay(withdrawal_id=paid.pk, actor=actor)
    rejected = withdrawal_submit(
        account_id=owner.pk, type="01", method="BANK_TRANSFER", actor=actor, amount="500.00"
    )
    withdrawal_review(withdrawal_id=rejected.pk, actor=actor)
    withdrawal_reject(withdrawal_id=rejected.pk, reason="购房合同未备案", actor=actor)
    views = {v.withdrawal_id: v for v in withdrawal_list(actor=me(owner), account_id=owner.pk)}
    assert [s.label for s in views[paid.pk].timeline] == [
        "已提交",
        "受理审核",
        "审批通过",
        "已入账",
    ]
    assert views[paid.pk].amount_fen == 100_000
    assert views[paid.pk].state_label == "已入账"
    assert "*" in views[paid.pk].bank_card_masked
    assert [s.label for s in views[rejected.pk].timeline] == ["已提交", "受理审核", "审核不通过"]
    assert views[rejected.pk].reject_reason == "购房合同未备案"


def test_loan_progress_and_overdue(owner, actor):
    """Paid and remaining instalments, remaining principal from the schedule, the next due
    payment, and instalments past their due date listed as overdue."""
    loan_eligible(owner)
    loan = loan_create(
        contract_no="KM2026R0001",
        borrower_account_id=owner.pk,
        principal="120000.00",
        house_price="1000000.00",
        term_months=12,
        method="EQUAL_PRINCIPAL",
        first_home=True,
        disbursed_on=dt.date(2026, 7, 5),
        first_due_date=dt.date(2026, 8, 5),
        actor=actor,
    )
    loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=dt.date(2026, 8, 5), source="BANK", actor=actor
    )
    [view] = loan_list(actor=me(owner), account_id=owner.pk)
    assert view.schedule is not None
    # Without the schedule (the overview, the lists): the same figures from the instalments
    # up to the next one only.
    [lite] = loan_list(actor=me(owner), account_id=owner.pk, schedules=False)
    assert lite == dataclasses.replace(view, schedule=None)
    [brief] = loan_list(actor=me(owner), account_id=owner.pk, schedules=False, repayments=False)
    assert brief == dataclasses.replace(view, schedule=None, repayments=())
    first = view.schedule.instalments[0]
    assert view.paid_instalments == 1
    assert view.remaining_instalments == 11
    assert view.remaining_principal_fen == first.outstanding_fen == 11_000_000
    # 2026-11-15: instalments due 09-05, 10-05, 11-05 are unpaid.
    assert view.overdue_instalments == (2, 3, 4)
    assert view.overdue_fen == sum(i.payment_fen for i in view.schedule.instalments[1:4])
    assert view.next_due_date == dt.date(2026, 9, 5)
    assert view.rates[0] == (dt.date(2026, 7, 5), Decimal("0.021000"))


def test_interest_history_explains_the_figure(owner, actor):
    """After a settlement the year's line shows carried balance, balance-days, rate and the
    interest, and the explanation repeats the formula with those figures."""
    with frozen_clock(dt.date(2027, 7, 2)):
        interest_settle(settlement_date=dt.date(2027, 6, 30), actor=actor)
        [line] = interest_history(actor=me(owner), account_id=owner.pk)
    assert line.interest_year == 2027
    assert line.year_start == dt.date(2026, 7, 1)
    assert line.carried_balance_fen == 0
    assert line.movements_fen == 720_000
    assert line.interest_fen > 0
    assert "÷ 360" in line.explanation
    assert line.explanation.endswith("元（四舍五入到分，一次取整）")
