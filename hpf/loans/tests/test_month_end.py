"""The month-end loan run: bank collections, fund offsets, overdue instalments."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.common.clock import frozen_clock
from hpf.common.errors import InvalidInput
from hpf.conftest import loan_eligible
from hpf.loans.models import LoanDelinquency, LoanRepayment
from hpf.loans.month_end import BankCollection, month_end_run, parse_bank_file
from hpf.loans.services import instalments_of, loan_create, penalty_fen
from hpf.operations.models import BatchRun

pytestmark = pytest.mark.django_db
RUN = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def month_end_day():
    with frozen_clock(RUN):
        yield


def make_loan(
    account,
    actor,
    *,
    offset: bool,
    contract: str = "KM2026ME0001",
    principal="20000.00",
    monthly_fen=240_000,
):
    loan_eligible(account, monthly_fen)
    return loan_create(
        contract_no=contract,
        borrower_account_id=account.pk,
        principal=principal,
        house_price="1000000.00",
        term_months=24,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 8, 20),
        first_due_date=dt.date(2026, 9, 20),
        actor=actor,
        offset_from_fund=offset,
    )


def test_offsets_take_due_instalments_from_the_fund_once(owner, actor, ledger_violations):
    """Three instalments are due (Sep, Oct, Nov 20): all are offset from the 7 200.00
    balance, valued on their due dates; a rerun posts nothing more."""
    loan = make_loan(owner, actor, offset=True)
    first = month_end_run(as_of=RUN, actor=actor)
    assert (first.offsets_posted, first.overdue_instalments) == (3, 0)
    repayments = LoanRepayment.objects.filter(loan=loan).order_by("instalment_no")
    assert [r.paid_on for r in repayments] == [dt.date(2026, m, 20) for m in (9, 10, 11)]
    assert {r.source for r in repayments} == {"FUND_OFFSET"}
    assert all(r.penalty_fen == 0 for r in repayments)
    owner.refresh_from_db()
    assert owner.balance_fen == 720_000 + 7 * 240_000 - first.offset_fen
    again = month_end_run(as_of=RUN, actor=actor)
    assert (again.offsets_posted, again.overdue_instalments) == (0, 0)
    assert LoanRepayment.objects.filter(loan=loan).count() == 3
    run = BatchRun.objects.get(pk=first.run_id)
    assert (run.kind, run.state, run.entries) == ("MONTH_END", "DONE", 3)
    assert run.reconciliation["offset_fen"] == first.offset_fen
    assert ledger_violations() == []


def test_unpaid_bank_instalments_are_marked_overdue_with_penalty(owner, actor):
    """A bank-paid loan with nothing collected: the instalments due before the run date are
    recorded overdue with penalty to the run date (annual/360 × 1.5 a day); a rerun adds no
    records; the instalment due on the run date itself is not yet overdue."""
    loan = make_loan(owner, actor, offset=False)
    totals = month_end_run(as_of=RUN, actor=actor)
    rows = LoanDelinquency.objects.filter(loan=loan).order_by("instalment_no")
    assert [(r.instalment_no, r.days_overdue) for r in rows] == [(1, 71), (2, 41), (3, 10)]
    first = instalments_of(loan, 1)[0]
    assert rows[0].overdue_fen == first.payment_fen
    assert rows[0].penalty_fen == penalty_fen(first.payment_fen, first.annual_rate, 71)
    assert totals.penalty_fen == sum(r.penalty_fen for r in rows)
    month_end_run(as_of=RUN, actor=actor)
    assert LoanDelinquency.objects.filter(loan=loan).count() == 3


def test_offset_stops_where_the_balance_ends(other, employer, actor, person, open_account):
    """An offset borrower whose fund cannot cover an instalment has it, and the later ones,
    recorded overdue instead."""
    from hpf.ledger.services import remittance_post

    remittance_post(account_id=other.pk, employer_id=employer.pk, period=202608, actor=actor)
    loan = make_loan(other, actor, offset=True, principal="60000.00", monthly_fen=100)
    totals = month_end_run(as_of=RUN, actor=actor)
    assert totals.offsets_posted == 0  # 2 407.00 cannot cover a 2 5xx payment
    assert LoanDelinquency.objects.filter(loan=loan).count() == 3


def test_bank_file_posts_collections_and_reports_bad_lines(owner, actor, ledger_violations):
    """Each correct line becomes a BANK repayment; a wrong amount or unknown contract is
    reported and posts nothing; the same file again changes nothing."""
    loan = make_loan(owner, actor, offset=False)
    first = instalments_of(loan, 1)[0]
    late = penalty_fen(first.payment_fen, first.annual_rate, 2)
    lines = [
        BankCollection(2, loan.contract_no, 1, dt.date(2026, 9, 22), first.payment_fen + late),
        BankCollection(3, loan.contract_no, 2, dt.date(2026, 10, 20), 1),
        BankCollection(4, "KM-NOPE", 1, dt.date(2026, 10, 20), 100),
    ]
    totals = month_end_run(as_of=RUN, actor=actor, bank_collections=lines)
    assert totals.bank_posted == 1
    assert len(totals.problems) == 2
    paid = LoanRepayment.objects.get(loan=loan, instalment_no=1)
    assert (paid.source, paid.penalty_fen) == ("BANK", late)
    again = month_end_run(as_of=RUN, actor=actor, bank_collections=lines[:1])
    assert (again.bank_posted, again.already_done) == (0, 1)
    assert ledger_violations() == []


def test_dry_run_reports_the_same_and_writes_nothing(owner, other, actor):
    make_loan(owner, actor, offset=True)
    make_loan(other, actor, offset=False, contract="KM2026ME0002")
    dry = month_end_run(as_of=RUN, actor=actor, dry_run=True)
    assert not LoanRepayment.objects.exists()
    assert not LoanDelinquency.objects.exists()
    real = month_end_run(as_of=RUN, actor=actor)
    fields = ("offsets_posted", "offset_fen", "overdue_instalments", "overdue_fen", "penalty_fen")
    assert [getattr(dry, f) for f in fields] == [getattr(real, f) for f in fields]


@pytest.mark.parametrize(
    "content",
    [b"", "合同号,期次,扣款日期,扣款金额\nKM1,x,2026-11-01,1.00\n".encode(), b"\xff\xfe\x00bad"],
)
def test_bad_bank_file_refused_whole(content):
    with pytest.raises(InvalidInput):
        parse_bank_file(content)


def test_bank_file_gbk_accepted():
    rows = parse_bank_file(
        "合同号,期次,扣款日期,扣款金额\nKM1,3,2026-11-20,2543.21\n".encode("gbk")
    )
    assert rows == [BankCollection(2, "KM1", 3, dt.date(2026, 11, 20), 254_321)]
