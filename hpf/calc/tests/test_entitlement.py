"""Continuity counted to now, and the loan and withdrawal rules (hpf.calc.entitlement)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hpf.calc.continuity import continuous_months_to_now
from hpf.calc.entitlement import (
    EntitlementError,
    check_loan_repayment_withdrawal,
    check_loan_terms,
    check_rent_withdrawal,
    max_loan_for_price,
)

PAID_2025_H1 = {p: 100 for p in (202501, 202502, 202503, 202504, 202505, 202506)}


def test_continuity_counts_to_the_current_month_not_the_last_paid():
    """A depositor whose last deposit was June 2025 has no continuous months in 2026."""
    assert continuous_months_to_now(PAID_2025_H1, 202612) == 0
    assert continuous_months_to_now(PAID_2025_H1, 202507) == 6  # July's not due yet
    assert continuous_months_to_now(PAID_2025_H1, 202506) == 6  # June's arrived
    assert continuous_months_to_now(PAID_2025_H1, 202508) == 0  # July missed


LOAN: dict[str, Any] = dict(
    principal_fen=40_000_000,
    house_price_fen=50_000_000,
    continuous_months=[6],
    required_months=6,
    max_single_fen=70_000_000,
    max_couple_fen=100_000_000,
    min_down_payment=Decimal("0.20"),
)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"continuous_months": [5]}, "LOAN_CONTINUITY_SHORT"),
        ({"continuous_months": [6, 0]}, "LOAN_CONTINUITY_SHORT"),
        ({"principal_fen": 70_000_001, "house_price_fen": 10**9}, "LOAN_OVER_CAP"),
        ({"principal_fen": 40_000_001}, "LOAN_DOWN_PAYMENT_SHORT"),
        ({"house_price_fen": 0}, "LOAN_HOUSE_PRICE_INVALID"),
    ],
)
def test_loan_rules_refuse_naming_the_rule(changes, code):
    with pytest.raises(EntitlementError) as caught:
        check_loan_terms(**(LOAN | changes))
    assert caught.value.code == code


def test_loan_rules_accept_the_limits_exactly():
    check_loan_terms(**LOAN)
    check_loan_terms(**(LOAN | {"principal_fen": 70_000_000, "house_price_fen": 87_500_000}))
    couple = {"continuous_months": [6, 12], "principal_fen": 100_000_000, "house_price_fen": 10**9}
    check_loan_terms(**(LOAN | couple))
    assert max_loan_for_price(33_333, Decimal("0.20")) == 26_666  # down, never a fen more


RENT: dict[str, Any] = dict(
    amount_fen=170_000,
    month=1,
    taken_this_year_fen=0,
    continuous_months=3,
    required_months=3,
    monthly_cap_fen=170_000,
)


def test_rent_cap_is_1700_a_month_20400_a_year():
    check_rent_withdrawal(**RENT)
    check_rent_withdrawal(**(RENT | {"month": 12, "amount_fen": 2_040_000}))
    check_rent_withdrawal(
        **(RENT | {"month": 3, "amount_fen": 170_000, "taken_this_year_fen": 340_000})
    )
    for changes in (
        {"amount_fen": 170_001},
        {"month": 12, "amount_fen": 2_040_001},
        {"month": 3, "amount_fen": 1, "taken_this_year_fen": 510_000},
        {"amount_fen": 5_290_700, "month": 12},  # the seeded 52,907.00
    ):
        with pytest.raises(EntitlementError) as caught:
            check_rent_withdrawal(**(RENT | changes))
        assert caught.value.code == "RENT_MONTHLY_CAP"
        assert "每月最多 1700.00 元" in caught.value.message


def test_rent_needs_three_continuous_months():
    with pytest.raises(EntitlementError) as caught:
        check_rent_withdrawal(**(RENT | {"continuous_months": 1}))
    assert caught.value.code == "RENT_CONTINUITY_SHORT"


def test_loan_repayment_withdrawal_needs_a_loan():
    check_loan_repayment_withdrawal(has_active_loan=True)
    with pytest.raises(EntitlementError) as caught:
        check_loan_repayment_withdrawal(has_active_loan=False)
    assert caught.value.code == "NO_ACTIVE_LOAN"
