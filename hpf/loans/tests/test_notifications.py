"""Loan notices: an instalment coming due (HPF_LOAN_DUE_NOTICE_DAYS ahead) and overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from hpf.common.clock import frozen_clock
from hpf.common.models import Notification
from hpf.conftest import loan_eligible
from hpf.loans.month_end import month_end_run
from hpf.loans.reminders import loan_due_reminders
from hpf.loans.services import instalments_of, loan_create, loan_repayment_post

pytestmark = pytest.mark.django_db


def make_loan(account, actor, *, offset=False):
    loan_eligible(account)
    return loan_create(
        contract_no="KM2026NT0001",
        borrower_account_id=account.pk,
        principal="20000.00",
        house_price="1000000.00",
        term_months=24,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 8, 20),
        first_due_date=dt.date(2026, 9, 20),
        actor=actor,
        offset_from_fund=offset,
    )


def notes(owner):
    return list(
        Notification.objects.filter(depositor_id=owner.depositor_id, kind="loan_due")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_reminder_three_days_ahead_once(owner, actor, settings):
    settings.HPF_LOAN_DUE_NOTICE_DAYS = 3
    loan = make_loan(owner, actor)
    assert loan_due_reminders(on=dt.date(2026, 9, 16)) == 0  # four days ahead: not yet
    assert loan_due_reminders(on=dt.date(2026, 9, 17)) == 1
    assert loan_due_reminders(on=dt.date(2026, 9, 17)) == 0  # a rerun of the day
    payment = instalments_of(loan, 1)[0].payment_fen
    (text,) = notes(owner)
    assert "KM2026NT0001" in text and "第 1 期" in text and "2026-09-20" in text
    assert f"{payment // 100}.{payment % 100:02d} 元" in text
    assert "银行卡" in text


def test_the_next_unpaid_instalment_is_the_one_reminded(owner, actor):
    loan = make_loan(owner, actor, offset=True)
    with frozen_clock(dt.date(2026, 9, 20)):
        loan_repayment_post(
            loan_id=loan.pk,
            instalment_no=1,
            paid_on=dt.date(2026, 9, 20),
            source="FUND_OFFSET",
            actor=actor,
        )
    with frozen_clock(dt.date(2026, 10, 15)):
        call_command("loan_reminders", date="2026-10-15", days=5)
    (text,) = notes(owner)
    assert "第 2 期" in text and "2026-10-20" in text and "冲还" in text


def test_overdue_notice_once_per_run_date(owner, actor):
    make_loan(owner, actor)
    run = dt.date(2026, 11, 30)
    with frozen_clock(run):
        month_end_run(as_of=run, actor=actor)
        month_end_run(as_of=run, actor=actor)
    (text,) = notes(owner)
    assert "3 期逾期" in text and "2026-11-30" in text


def test_a_dry_run_notifies_nobody(owner, actor):
    make_loan(owner, actor)
    run = dt.date(2026, 11, 30)
    with frozen_clock(run):
        month_end_run(as_of=run, actor=actor, dry_run=True)
    assert notes(owner) == []
