"""Fixtures for certificates: a staff actor at the counter, a paid-off loan and an open one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hpf.audit.services import Actor

HALL = "五华管理部"


@pytest.fixture
def clerk() -> Actor:
    return Actor("staff:7", "counter", "10.1.2.3")


@pytest.fixture
def issue(clerk: Actor) -> Any:
    """``issue(account, kind="DEPOSIT", **kw)``: a certificate issued at the counter."""
    from hpf.certificates.services import certificate_issue

    def run(account: Any, kind: str = "DEPOSIT", actor: Actor | None = None, **kw: Any) -> Any:
        kw.setdefault("purpose", "办理贷款")
        kw.setdefault("hall", HALL)
        return certificate_issue(actor or clerk, account_id=account.pk, kind=kind, **kw)

    return run


def _loan(owner: Any, actor: Actor, contract_no: str, term: int) -> Any:
    from hpf.loans.services import loan_create

    return loan_create(
        contract_no=contract_no,
        borrower_account_id=owner.pk,
        principal="12000.00",
        term_months=term,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 8, 20),
        first_due_date=dt.date(2026, 9, 20),
        actor=actor,
    )


@pytest.fixture
def paid_off_loan(owner: Any, actor: Actor) -> Any:
    """12 000.00 over 2 months, both instalments paid from the bank on their due dates."""
    from hpf.loans.services import loan_repayment_post

    loan = _loan(owner, actor, "KMDK2026000001", 2)
    for no, day in ((1, dt.date(2026, 9, 20)), (2, dt.date(2026, 10, 20))):
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=no, paid_on=day, source="BANK", actor=actor
        )
    loan.refresh_from_db()
    assert loan.status == "PAID_OFF"
    return loan


@pytest.fixture
def open_loan(owner: Any, actor: Actor) -> Any:
    """12 000.00 over 12 months, one instalment paid."""
    from hpf.loans.services import loan_repayment_post

    loan = _loan(owner, actor, "KMDK2026000002", 12)
    loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=dt.date(2026, 9, 20), source="BANK", actor=actor
    )
    return loan
