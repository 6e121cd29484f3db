"""The loan rules are enforced by ``loan_create``, not only shown (issue 11, item 2): months of
continuous full deposits counted to the current month, the single and couple caps, the down
payment — each refusal naming its rule, writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from hpf.audit.services import Actor
from hpf.common.errors import PolicyViolation
from hpf.conftest import loan_eligible, paid_months
from hpf.ledger.selectors import account_overview
from hpf.ledger.services import remittance_post
from hpf.loans.models import Loan
from hpf.loans.services import loan_create
from hpf.registry.services import account_seal

pytestmark = pytest.mark.django_db


def _create(account, actor, **overrides):
    kwargs = dict(
        contract_no="KM2026LR0001",
        borrower_account_id=account.pk,
        principal="400000.00",
        house_price="500000.00",
        term_months=240,
        method="ANNUITY",
        first_home=True,
        disbursed_on=dt.date(2026, 11, 10),
        first_due_date=dt.date(2026, 12, 10),
        actor=actor,
    )
    return loan_create(**(kwargs | overrides))


@pytest.fixture
def sealed(make_employer, open_account, actor):
    """Paid every month from 2024-12 to 2025-06 through the ordinary remittance, then sealed
    on leaving the employer: its paid-through month is 2025-06."""
    employer = make_employer(5)
    account = open_account(employer, 50, base="8000.00", opened_on=dt.date(2024, 12, 1))
    for period in (202412, 202501, 202502, 202503, 202504, 202505, 202506):
        remittance_post(
            account_id=account.pk,
            employer_id=employer.pk,
            period=period,
            actor=actor,
            value_date=dt.date(period // 100, period % 100, 10),
        )
    account_seal(account_id=account.pk, reason="离职", actor=actor)
    account.refresh_from_db()
    assert account.paid_through == 202506
    return account


def test_a_sealed_account_is_not_continuous_now(sealed, actor):
    """Counted back from June 2025 it had 7 months and "met the requirement"; counted to
    November 2026 it has none."""
    ov = account_overview(actor=Actor.cli("loan-tests"), account_id=sealed.pk, purpose="核对")
    assert ov.continuous_months == 0
    assert ov.required_continuous_months == 6


def test_a_sealed_account_cannot_borrow(sealed, actor, unchanged):
    with unchanged(sealed.pk), pytest.raises(PolicyViolation) as caught:
        _create(sealed, actor)
    assert caught.value.code == "LOAN_CONTINUITY_SHORT"
    assert "连续足额缴存 6 个月" in caught.value.message
    assert "0 个月" in caught.value.message
    assert not Loan.objects.exists()


def test_five_months_are_not_enough_six_are(owner, actor, unchanged):
    """The owner paid 2026-08 to 2026-10 (3 months); with 2026-06 and 2026-07 it has 5."""
    paid_months(owner, 202606, 202607)
    owner.refresh_from_db()
    with unchanged(owner.pk), pytest.raises(PolicyViolation) as caught:
        _create(owner, actor)
    assert caught.value.code == "LOAN_CONTINUITY_SHORT"
    paid_months(owner, 202605, 202605)
    assert _create(owner, actor).principal_fen == 40_000_000


def test_the_current_month_counts_once_paid(owner, actor):
    """In November the count starts at October until November's deposit arrives."""
    paid_months(owner, 202604, 202607)  # 2026-04 … 2026-10: 7 months
    paid_months(owner, 202611, 202611)
    ov = account_overview(actor=Actor.cli("loan-tests"), account_id=owner.pk, purpose="核对")
    assert ov.continuous_months == 8


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"principal": "700000.01", "house_price": "2000000.00"}, "LOAN_OVER_CAP"),
        ({"principal": "400000.01"}, "LOAN_DOWN_PAYMENT_SHORT"),
    ],
)
def test_caps_and_down_payment_are_enforced(owner, actor, unchanged, overrides, code):
    loan_eligible(owner)
    owner.refresh_from_db()
    with unchanged(owner.pk), pytest.raises(PolicyViolation) as caught:
        _create(owner, actor, **overrides)
    assert caught.value.code == code
    assert caught.value.message  # Chinese, naming the figures
    assert not Loan.objects.exists()


def test_exactly_the_minimum_down_payment_and_the_cap_are_accepted(owner, actor):
    loan_eligible(owner)
    loan = _create(owner, actor, principal="700000.00", house_price="875000.00")
    assert (loan.principal_fen, loan.house_price_fen) == (70_000_000, 87_500_000)


def test_a_couple_borrows_up_to_the_couple_cap_when_both_are_continuous(owner, other, actor):
    loan_eligible(owner)
    with pytest.raises(PolicyViolation) as caught:
        _create(
            owner,
            actor,
            principal="900000.00",
            house_price="2000000.00",
            co_borrower_account_id=other.pk,
        )
    assert caught.value.code == "LOAN_CONTINUITY_SHORT"
    assert "共同借款人" in caught.value.message
    paid_months(other, 202604, 202610)
    loan = _create(
        owner,
        actor,
        principal="900000.00",
        house_price="2000000.00",
        co_borrower_account_id=other.pk,
    )
    assert loan.co_borrower_id == other.pk
    with pytest.raises(PolicyViolation) as caught:
        _create(
            owner,
            actor,
            contract_no="KM2026LR0002",
            principal="1000000.01",
            house_price="3000000.00",
            co_borrower_account_id=other.pk,
        )
    assert caught.value.code == "LOAN_OVER_CAP"
    assert "夫妻双方" in caught.value.message
