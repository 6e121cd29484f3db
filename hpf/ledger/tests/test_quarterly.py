"""hpf quarterly-summary: one notification per account, set-based, once per quarter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidInput
from hpf.common.models import Notification
from hpf.ledger.quarterly import parse_quarter, quarterly_summary
from hpf.withdrawals.services import (
    withdrawal_approve,
    withdrawal_pay,
    withdrawal_review,
    withdrawal_submit,
)

pytestmark = pytest.mark.django_db


def summaries():
    return dict(
        Notification.objects.filter(kind="quarterly_summary").values_list("depositor_id", "text")
    )


def test_balance_deposits_and_withdrawals_of_the_quarter(owner, other, actor):
    """The owner's deposits for 202608–202610 (2 400.00 each) have value dates in their
    months: two in Q3, one in Q4; a 1 000.00 withdrawal is paid on 2026-11-15."""
    w = withdrawal_submit(
        account_id=owner.pk, type="07", method="BANK_TRANSFER", amount="1000.00", actor=actor
    )
    withdrawal_review(withdrawal_id=w.pk, actor=actor)
    withdrawal_approve(withdrawal_id=w.pk, actor=actor)
    withdrawal_pay(withdrawal_id=w.pk, actor=actor)
    with frozen_clock(dt.date(2027, 1, 5)):
        call_command("quarterly_summary", quarter="2026Q4")
    found = summaries()
    assert set(found) == {owner.depositor_id, other.depositor_id}
    assert found[owner.depositor_id] == (
        "您的住房公积金2026年第4季度摘要：季末余额 6200.00 元，本季缴存 2400.00 元，"
        "提取 1000.00 元。如有疑问，可在网上业务大厅提交核查更正申请。"
    )
    assert "季末余额 0.00 元，本季缴存 0.00 元，提取 0.00 元" in found[other.depositor_id]


def test_the_balance_is_the_quarters_end_not_today(owner):
    with frozen_clock(dt.date(2027, 1, 5)):
        assert quarterly_summary(parse_quarter("2026q3")) >= 1
    # Q3's end: the two Q3 deposits, not today's 7 200.00 (later postings taken off).
    assert (
        "季末余额 4800.00 元，本季缴存 4800.00 元，提取 0.00 元" in summaries()[owner.depositor_id]
    )


def test_once_per_quarter_and_only_when_it_has_ended(owner):
    with pytest.raises(InvalidInput):
        quarterly_summary(parse_quarter("2026Q4"))  # today is 2026-11-15
    with pytest.raises(InvalidInput):
        parse_quarter("2026Q5")
    n = quarterly_summary(parse_quarter("2026Q3"))
    with pytest.raises(CommandError):
        call_command("quarterly_summary", quarter="2026Q3")
    assert Notification.objects.filter(kind="quarterly_summary").count() == n
