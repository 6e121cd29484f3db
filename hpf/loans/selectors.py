"""Reads of a borrower's loans (贷款): contract, rate history, progress, what is due next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from hpf.audit.services import Actor
from hpf.calc.loans import Schedule, due_date_of
from hpf.common import clock
from hpf.loans.models import Loan, LoanMethod, LoanRate, LoanRepayment
from hpf.loans.services import instalments_of, schedule_of
from hpf.registry.access import AccountGrant, read_account


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
    # The whole schedule, or None when the list was asked for without (``schedules=False``).
    schedule: Schedule | None
    method: str = ""
    first_home: bool = True
    repayments: tuple[RepaymentView, ...] = ()


_LOANS_SQL = """
    SELECT l.*, (SELECT COUNT(*) FROM loans_loanrepayment r WHERE r.loan_id = l.id) AS paid_count
      FROM loans_loan l
     WHERE l.borrower_id = %s
     ORDER BY l.disbursed_on DESC"""

# The rates of the borrower's loans, in effective order: named by the borrower, one statement
# text whatever the number of loans.
_RATES_SQL = """
    SELECT r.id, r.loan_id, r.effective, r.annual_rate
      FROM loans_loanrate r JOIN loans_loan l ON l.id = r.loan_id
     WHERE l.borrower_id = %s
     ORDER BY r.effective"""

# Whether the account holder borrowed at all, as a column of the account's own query
# (``grant_own_account(columns=LOAN_COLUMNS)``): most depositors never did, and their page then
# asks nothing more about loans. The grant's memo has it.
LOAN_COLUMNS = {
    "loans_any": "EXISTS (SELECT 1 FROM loans_loan WHERE borrower_id = registry_fundaccount.id)",
}


# The choices' labels (translated when made text), looked up as ``get_FOO_display`` would,
# without the dictionary it builds from the field's choices on every call.
_METHOD_LABELS: dict[str, Any] = dict(LoanMethod.choices)
_STATUS_LABELS: dict[str, Any] = dict(Loan.Status.choices)


def _label(labels: Mapping[str, Any], value: str) -> str:
    """The label of ``value`` in the active language; the value itself when it has none."""
    return str(labels.get(value, value))


def _due_by(first_due_date: dt.date, today: dt.date, months: int) -> int:
    """How many instalments fall due before ``today`` (due dates per ``due_date_of``)."""
    n = (today.year * 12 + today.month) - (first_due_date.year * 12 + first_due_date.month) + 1
    n = max(0, min(n, months))
    while n > 0 and due_date_of(first_due_date, n) >= today:
        n -= 1
    return n


def loan_list(
    *,
    actor: Actor,
    account_id: int,
    purpose: str = "",
    grant: AccountGrant | None = None,
    schedules: bool = True,
    repayments: bool = True,
) -> tuple[LoanView, ...]:
    """The account holder's loans as borrower, newest first. Three queries whatever the
    number of loans (the loans, their rates, their repayments). ``schedules=False`` (the
    overview, the lists) leaves ``schedule`` None and computes the instalments only as far
    as today's figures need (paid, overdue, the next one): the same figures, without building
    thirty years of a schedule nobody shows. ``repayments=False`` (the overview) counts the
    repayments in the loans' query and leaves ``repayments`` empty. With a grant whose memo
    says the holder never borrowed (``LOAN_COLUMNS``), no query at all."""
    account = read_account(actor, account_id, section="loans", purpose=purpose, grant=grant)
    if grant is not None and "loans_any" in grant.memo and not grant.memo.pop("loans_any"):
        return ()
    today = clock.today()
    views = []
    # The statements are written out (the ORM built and compiled the grouped count, and the
    # rates' filter, in more CPU time than the database took to answer), and the rates and
    # repayments are grouped by hand rather than by ``prefetch_related``'s machinery.
    found = list(Loan.objects.raw(_LOANS_SQL, [account.pk]))
    ids = [loan.pk for loan in found]
    rates_of: dict[int, list[LoanRate]] = {pk: [] for pk in ids}
    paid_of: dict[int, list[LoanRepayment]] = {pk: [] for pk in ids}
    if ids:
        for rate in LoanRate.objects.raw(_RATES_SQL, [account.pk]):
            if rate.loan_id in rates_of:  # not a loan made since the loans' statement
                rates_of[rate.loan_id].append(rate)
        if repayments:
            for repayment in LoanRepayment.objects.filter(loan_id__in=ids).order_by(
                "instalment_no"
            ):
                paid_of[repayment.loan_id].append(repayment)
    for loan in found:
        rates = rates_of[loan.pk]
        paid_rows = paid_of[loan.pk]
        # ``paid_count``: counted by the loans' query when the repayments are not fetched.
        paid = len(paid_rows) if repayments else int(loan.paid_count)  # type: ignore[attr-defined]
        schedule: Schedule | None = None
        if schedules:
            schedule = schedule_of(loan, rates)
            instalments = schedule.instalments
        else:
            upto = min(
                max(paid, _due_by(loan.first_due_date, today, loan.term_months)) + 1,
                loan.term_months,
            )
            instalments = instalments_of(loan, upto, rates)
        rest = instalments[paid:]
        overdue = tuple(i for i in rest if i.due_date < today)
        remaining_principal = instalments[paid - 1].outstanding_fen if paid else loan.principal_fen
        upcoming = rest[0] if rest else None
        views.append(
            LoanView(
                contract_no=loan.contract_no,
                principal_fen=loan.principal_fen,
                term_months=loan.term_months,
                method_label=_label(_METHOD_LABELS, loan.method),
                status_label=_label(_STATUS_LABELS, loan.status),
                rates=tuple((r.effective, r.annual_rate) for r in rates),
                paid_instalments=paid,
                remaining_instalments=max(0, loan.term_months - paid),
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
                    for r in paid_rows
                ),
            )
        )
    return tuple(views)


def account_has_active_loan(account_id: int) -> bool:
    """Whether the account is the borrower or co-borrower of a loan not yet paid off (the
    loan repayment withdrawal's condition; installed in ``hpf.common.borrowing``). No personal
    figures leave, so no audit: the caller has the account locked for its own service."""
    return (
        Loan.objects.filter(status=Loan.Status.ACTIVE)
        .filter(models.Q(borrower_id=account_id) | models.Q(co_borrower_id=account_id))
        .exists()
    )
