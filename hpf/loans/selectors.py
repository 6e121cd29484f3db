"""Reads of a borrower's loans (贷款): contract, rate history, progress, what is due next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hpf.audit.services import Actor
from hpf.calc.loans import Schedule
from hpf.common import clock
from hpf.loans.models import Loan
from hpf.loans.services import schedule_of
from hpf.registry.access import access_account


@dataclass(frozen=True, slots=True)
class RepaymentView:
    instalment_no: int
    due_date: dt.date
    paid_on: dt.date
    principal_fen: int
    interest_fen: int
    penalty_fen: int
    source_label: str


@dataclass(frozen=True, slots=True)
class LoanView:
    contract_no: str
    principal_fen: int
    term_months: int
    method_label: str
    status_label: str
    rates: tuple[tuple[dt.date, Decimal], ...]
    paid_instalments: int
    remaining_instalments: int
    remaining_principal_fen: int
    next_due_date: dt.date | None
    next_payment_fen: int | None
    overdue_instalments: tuple[int, ...]
    overdue_fen: int
    schedule: Schedule
    method: str = ""
    first_home: bool = True
    repayments: tuple[RepaymentView, ...] = ()


def loan_list(*, actor: Actor, account_id: int, purpose: str = "") -> tuple[LoanView, ...]:
    """The account holder's loans as borrower, newest first."""
    account = access_account(actor, account_id, view="loans", purpose=purpose)
    today = clock.today()
    views = []
    for loan in Loan.objects.filter(borrower=account).order_by("-disbursed_on"):
        schedule = schedule_of(loan)
        paid = loan.repayments.count()
        rest = schedule.instalments[paid:]
        overdue = tuple(i for i in rest if i.due_date < today)
        remaining_principal = (
            schedule.instalments[paid - 1].outstanding_fen if paid else loan.principal_fen
        )
        upcoming = rest[0] if rest else None
        views.append(
            LoanView(
                contract_no=loan.contract_no,
                principal_fen=loan.principal_fen,
                term_months=loan.term_months,
                method_label=loan.get_method_display(),
                status_label=loan.get_status_display(),
                rates=tuple(
                    loan.rates.order_by("effective").values_list("effective", "annual_rate")
                ),
                paid_instalments=paid,
                remaining_instalments=len(rest),
                remaining_principal_fen=remaining_principal,
                next_due_date=upcoming.due_date if upcoming else None,
                next_payment_fen=upcoming.payment_fen if upcoming else None,
                overdue_instalments=tuple(i.no for i in overdue),
                overdue_fen=sum(i.payment_fen for i in overdue),
                schedule=schedule,
                method=loan.method,
                first_home=loan.first_home,
                repayments=tuple(
                    RepaymentView(
                        instalment_no=r.instalment_no,
                        due_date=r.due_date,
                        paid_on=r.paid_on,
                        principal_fen=r.principal_fen,
                        interest_fen=r.interest_fen,
                        penalty_fen=r.penalty_fen,
                        source_label=r.get_source_display(),
                    )
                    for r in loan.repayments.order_by("instalment_no")
                ),
            )
        )
    return tuple(views)
