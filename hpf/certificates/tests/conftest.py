"""Fixtures for certificates: a staff actor at the counter, a paid-off loan and an open one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hpf.audit.services import Actor
from hpf.conftest import loan_eligible

HALL = "五华管理部"


@pytest.fixture
def actor() -> Actor:
    """Sets up accounts and reads figures to compare with; since counter reads need an ID-check
    session, the suite's counter actor is replaced here by the command line's."""
    return Actor.cli("certificate-tests")


@pytest.fixture
def at_counter(make_staff: Any) -> Any:
    """``at_counter(account)``: a clerk's actor inside a live ID-check session (人证核验) for
    the account's holder — the only way a counter clerk reaches an account."""
    from hpf.common.crypto import decrypt
    from hpf.registry.idcheck import idcheck_open

    member = make_staff("clerk", "cert_clerk")
    staff = Actor(f"staff:{member.user_id}", "counter", "10.1.2.3")

    def session_for(account: Any) -> Actor:
        holder = account.depositor
        session = idcheck_open(
            member=member,
            id_number=decrypt(holder.id_number_enc, context=b"id_number"),
            name=holder.name,
            person_matches_card=True,
            purpose="CERTIFICATE",
            actor=staff,
        )
        return Actor(staff.ident, staff.channel, staff.client_addr, idcheck=session.public_id)

    return session_for


@pytest.fixture
def clerk(at_counter: Any, owner: Any) -> Actor:
    """The clerk serving ``owner`` at the counter."""
    return at_counter(owner)


@pytest.fixture
def issue(at_counter: Any, clerk: Actor, owner: Any) -> Any:
    """``issue(account, kind="DEPOSIT", **kw)``: a certificate issued at the counter, in an
    ID-check session for the account's holder (``owner``'s is open before the test runs)."""
    from hpf.certificates.services import certificate_issue

    sessions = {owner.pk: clerk}

    def run(account: Any, kind: str = "DEPOSIT", actor: Actor | None = None, **kw: Any) -> Any:
        kw.setdefault("purpose", "办理贷款")
        kw.setdefault("hall", HALL)
        if actor is None:
            if account.pk not in sessions:
                sessions[account.pk] = at_counter(account)
            actor = sessions[account.pk]
        return certificate_issue(actor, account_id=account.pk, kind=kind, **kw)

    return run


def _loan(owner: Any, actor: Actor, contract_no: str, term: int) -> Any:
    from hpf.loans.services import loan_create

    loan_eligible(owner)
    return loan_create(
        contract_no=contract_no,
        borrower_account_id=owner.pk,
        principal="12000.00",
        house_price="1000000.00",
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
