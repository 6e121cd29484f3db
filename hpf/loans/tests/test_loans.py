"""HPF loans: creation at the policy rate, repayments from the bank or the fund balance."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from hpf.calc.loans import loan_schedule
from hpf.common.errors import (
    AlreadyExists,
    DuplicateSourceKey,
    InsufficientBalance,
    InvalidAmount,
    InvalidInput,
    InvalidTransition,
    PolicyViolation,
)
from hpf.conftest import loan_eligible, paid_months
from hpf.ledger.models import CentreCode, JournalEntry, Reason
from hpf.loans.models import Loan, LoanRepayment
from hpf.loans.services import loan_create, loan_repayment_post, overdue_instalments

pytestmark = pytest.mark.django_db

DISBURSED = dt.date(2026, 9, 10)
FIRST_DUE = dt.date(2026, 10, 10)
RATE = Decimal("0.021")  # first home, ≤ 5 years, in force since 2025-05-08


def create(account, actor, **overrides):
    kwargs = dict(
        contract_no="KM2026T0001",
        borrower_account_id=account.pk,
        principal="10000.00",
        house_price="1000000.00",
        term_months=2,
        method="ANNUITY",
        first_home=True,
        disbursed_on=DISBURSED,
        first_due_date=FIRST_DUE,
        actor=actor,
        offset_from_fund=True,
    )
    return loan_create(**(kwargs | overrides))


# The owner's 7 200.00 and the seven months before them that make the owner eligible.
BALANCE = 720_000 + 7 * 240_000


@pytest.fixture(autouse=True)
def eligible(owner):
    """The owner has the continuous months a loan asks for (policy: 6) before each test."""
    loan_eligible(owner)
    owner.refresh_from_db()


@pytest.fixture
def schedule():
    return loan_schedule(
        principal_fen=1_000_000,
        annual_rate=RATE,
        months=2,
        method="ANNUITY",
        first_due_date=FIRST_DUE,
    )


@pytest.fixture
def loan(owner, actor):
    return create(owner, actor)


def test_loan_create(owner, actor, audited):
    """The loan is recorded at the policy rate of its disbursement date; disbursement moves
    only centre accounts, not the borrower's fund balance."""
    loan = create(owner, actor)
    event = audited("loan.create", owner.pk)
    assert event.details == {"loan": loan.pk, "principal_fen": 1_000_000, "rate": str(RATE)}
    assert (loan.principal_fen, loan.term_months, loan.status) == (1_000_000, 2, Loan.Status.ACTIVE)
    assert list(loan.rates.values_list("effective", "annual_rate")) == [(DISBURSED, RATE)]
    entry = JournalEntry.objects.get(source_key="loan:KM2026T0001:disburse")
    assert entry.reason == Reason.LOAN_DISBURSEMENT
    assert set(entry.postings.values_list("centre_account_id", "amount_fen")) == {
        (CentreCode.LOAN_RECEIVABLE, -1_000_000),
        (CentreCode.BANK_SETTLEMENT, 1_000_000),
    }
    owner.refresh_from_db()
    assert owner.balance_fen == BALANCE


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"term_months": 0}, PolicyViolation),
        ({"term_months": 361}, PolicyViolation),
        ({"principal": "700000.01"}, PolicyViolation),  # single borrower cap
        ({"principal": "0"}, InvalidAmount),
        ({"method": "BALLOON"}, InvalidInput),
        ({"first_due_date": DISBURSED}, InvalidInput),
    ],
)
def test_loan_create_refusals(owner, actor, unchanged, overrides, error):
    with unchanged(owner.pk), pytest.raises(error):
        create(owner, actor, **overrides)


def test_duplicate_contract_refused(loan, owner, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(AlreadyExists):
        create(owner, actor)


def test_repay_from_bank_then_from_fund_pays_off(loan, owner, actor, audited, schedule):
    """Instalment 1 from the bank touches no fund account; instalment 2 by offsetting the
    fund balance debits the borrower; after the last one the loan is PAID_OFF."""
    first, second = schedule.instalments
    r1 = loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=first.due_date, source="BANK", actor=actor
    )
    event = audited("loan.repayment", owner.pk)
    assert event.details == {"loan": loan.pk, "instalment": 1, "amount_fen": first.payment_fen}
    assert (r1.principal_fen, r1.interest_fen, r1.penalty_fen) == (
        first.principal_fen,
        first.interest_fen,
        0,
    )
    assert r1.entry.reason == Reason.LOAN_REPAYMENT
    assert not r1.entry.postings.filter(fund_account__isnull=False).exists()
    assert set(r1.entry.postings.values_list("centre_account_id", "amount_fen")) == {
        (CentreCode.LOAN_RECEIVABLE, first.principal_fen),
        (CentreCode.LOAN_INTEREST_INCOME, first.interest_fen),
        (CentreCode.BANK_SETTLEMENT, -first.payment_fen),
    }
    owner.refresh_from_db()
    assert owner.balance_fen == BALANCE
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE

    r2 = loan_repayment_post(
        loan_id=loan.pk, instalment_no=2, paid_on=second.due_date, source="FUND_OFFSET", actor=actor
    )
    audited("loan.repayment", owner.pk)
    assert r2.entry.reason == Reason.LOAN_OFFSET
    assert r2.entry.postings.get(fund_account=owner).amount_fen == -second.payment_fen
    owner.refresh_from_db()
    assert owner.balance_fen == BALANCE - second.payment_fen
    loan.refresh_from_db()
    assert (loan.status, loan.paid_off_on) == (Loan.Status.PAID_OFF, second.due_date)
    assert first.principal_fen + second.principal_fen == 1_000_000


def test_repaying_out_of_order_refused(loan, owner, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        loan_repayment_post(
            loan_id=loan.pk,
            instalment_no=2,
            paid_on=dt.date(2026, 11, 10),
            source="BANK",
            actor=actor,
        )


def test_same_instalment_twice_refused(loan, owner, actor, unchanged):
    loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=FIRST_DUE, source="BANK", actor=actor
    )
    with unchanged(owner.pk), pytest.raises(DuplicateSourceKey):
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=1, paid_on=FIRST_DUE, source="BANK", actor=actor
        )


def test_paid_off_loan_takes_no_more_repayments(loan, owner, actor, unchanged):
    for no, due in ((1, FIRST_DUE), (2, dt.date(2026, 11, 10))):
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=no, paid_on=due, source="BANK", actor=actor
        )
    with unchanged(owner.pk), pytest.raises(InvalidTransition):
        loan_repayment_post(
            loan_id=loan.pk,
            instalment_no=3,
            paid_on=dt.date(2026, 11, 12),
            source="BANK",
            actor=actor,
        )


def test_fund_offset_beyond_balance_refused(other, actor, unchanged):
    """A borrower whose fund balance (nine months of 1.00) cannot cover the instalment."""
    paid_months(other, 202601, 202609, amount_fen=100)
    loan = create(other, actor)
    with unchanged(other.pk), pytest.raises(InsufficientBalance):
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=1, paid_on=FIRST_DUE, source="FUND_OFFSET", actor=actor
        )


def test_bad_source_refused(loan, owner, actor, unchanged):
    with unchanged(owner.pk), pytest.raises(InvalidInput):
        loan_repayment_post(
            loan_id=loan.pk, instalment_no=1, paid_on=FIRST_DUE, source="EARLY", actor=actor
        )


def test_late_repayment_pays_penalty_interest(loan, owner, actor, schedule):
    """Ten days late: payment × rate / 360 × 1.5 × 10 days, half up, on top of the
    instalment, booked to interest income."""
    first = schedule.instalments[0]
    late = first.due_date + dt.timedelta(days=10)
    assert overdue_instalments(loan, as_of=late) == [1]
    r = loan_repayment_post(
        loan_id=loan.pk, instalment_no=1, paid_on=late, source="FUND_OFFSET", actor=actor
    )
    expected = (Decimal(first.payment_fen) * RATE / 360 * Decimal("1.5") * 10).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert expected > 0
    assert r.penalty_fen == int(expected)
    assert r.entry.postings.get(fund_account=owner).amount_fen == -(
        first.payment_fen + r.penalty_fen
    )
    assert r.entry.postings.get(centre_account=CentreCode.LOAN_INTEREST_INCOME).amount_fen == (
        first.interest_fen + r.penalty_fen
    )
    assert overdue_instalments(loan, as_of=late) == []
    assert LoanRepayment.objects.filter(loan=loan).count() == 1
