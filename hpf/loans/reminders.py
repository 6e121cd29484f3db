"""Reminders of a loan instalment coming due (还款提醒), ``HPF_LOAN_DUE_NOTICE_DAYS`` days
ahead: ``hpf loan-reminders`` runs daily and writes one notification per active loan whose
next unpaid instalment falls due on ``on + days``. Found by the due-date rule from the
repayment counts (no schedule for loans not due), so a run touches only that day's loans;
a rerun of the same day writes nothing twice (the notice names the instalment).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from hpf.calc.loans import due_date_of
from hpf.calc.money import format_yuan
from hpf.common import notify as outbox
from hpf.common.models import Notification
from hpf.loans.models import Loan, LoanRepayment
from hpf.loans.services import instalments_of


def loan_due_reminders(*, on: dt.date, days: int | None = None) -> int:
    """Remind borrowers of instalments due ``days`` after ``on``; returns how many."""
    ahead = settings.HPF_LOAN_DUE_NOTICE_DAYS if days is None else days
    due_on = on + dt.timedelta(days=ahead)
    active = Loan.objects.filter(status=Loan.Status.ACTIVE, first_due_date__lte=due_on)
    # Only loans whose due day of month matches (the last day of a short month included).
    candidates = [
        (pk, first, term)
        for pk, first, term in active.values_list("pk", "first_due_date", "term_months")
        if first.day == due_on.day
        or (first.day > due_on.day and (due_on + dt.timedelta(1)).day == 1)
    ]
    ids = [pk for pk, _, _ in candidates]
    paid = dict(
        LoanRepayment.objects.filter(loan_id__in=ids)
        .values("loan_id")
        .annotate(n=Count("id"))
        .values_list("loan_id", "n")
    )
    written = 0
    for pk, first, term in candidates:
        n = paid.get(pk, 0) + 1
        if n > term or due_date_of(first, n) != due_on:
            continue
        loan = Loan.objects.select_related("borrower").get(pk=pk)
        inst = instalments_of(loan, n)[-1]
        text = (
            f"您的住房公积金贷款（合同 {loan.contract_no}）第 {n} 期应还 "
            f"{format_yuan(inst.payment_fen)} 元，将于 {due_on.isoformat()} 到期。"
            + (
                "届时将从您的公积金账户冲还，余额不足部分请存入还款银行卡。"
                if loan.offset_from_fund
                else "请在到期前确保还款银行卡余额充足。"
            )
        )
        depositor_id = loan.borrower.depositor_id
        with transaction.atomic():
            if Notification.objects.filter(
                depositor_id=depositor_id, kind=outbox.LOAN_DUE, text=text
            ).exists():
                continue
            outbox.notify(depositor_id, outbox.LOAN_DUE, text)
        written += 1
    return written
