"""loans: bank-style repayment schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpf.calc.errors import LoanError
from hpf.calc.loans import (
    RateChange,
    Schedule,
    due_date_of,
    early_repayment,
    loan_instalments,
    loan_schedule,
    repricing_date,
)
from hpf.calc.money import round_fen_quotient, yuan_to_fen
from hpf.calc.tests.conftest import load_vectors

VECTORS: list[dict[str, Any]] = load_vectors()["loan_monthly_payment"]


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"{v['method']}-{v['annual_rate']}")
def test_published_first_payments(v: dict[str, Any]) -> None:
    """1 000 000 over 360 months: 4 270.16 (3.10 % annuity), 5 361.11 (equal principal),
    4 352.06 (3.25 % annuity)."""
    schedule = loan_schedule(
        principal_fen=yuan_to_fen(v["principal"]),
        annual_rate=Decimal(v["annual_rate"]),
        months=v["months"],
        method=v["method"],
        first_due_date=date(2025, 2, 15),
    )
    assert schedule.instalments[0].payment_fen == yuan_to_fen(v["first_payment"])
    assert schedule.to_json_dict()["instalments"][0]["payment"] == v["first_payment"]
    _check_invariants(schedule, yuan_to_fen(v["principal"]))


def test_due_dates_keep_the_day_when_possible() -> None:
    """31 Jan → 29 Feb (leap) → 31 Mar → 30 Apr."""
    first = date(2024, 1, 31)
    assert [due_date_of(first, k) for k in (1, 2, 3, 4, 13)] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2025, 1, 31),
    ]


def test_repricing_date() -> None:
    """Adjustments apply from the next 1 January, or that day if it is a 1 January."""
    assert repricing_date(date(2022, 10, 1)) == date(2023, 1, 1)
    assert repricing_date(date(2025, 5, 8)) == date(2026, 1, 1)
    assert repricing_date(date(2026, 1, 1)) == date(2026, 1, 1)


def test_rate_change_reprices_on_next_january() -> None:
    """The 2022-10-01 cut to 3.10 % applies from the first instalment due in 2023; the annuity is
    recomputed on the remaining principal and months."""
    schedule = loan_schedule(
        principal_fen=100000000,
        annual_rate=Decimal("0.0325"),
        months=360,
        method="ANNUITY",
        first_due_date=date(2020, 1, 20),
        rate_changes=[RateChange(date(2022, 10, 1), Decimal("0.031"))],
    )
    before, after = schedule.instalments[35], schedule.instalments[36]
    assert (before.due_date, before.annual_rate) == (date(2022, 12, 20), Decimal("0.0325"))
    assert (after.due_date, after.annual_rate) == (date(2023, 1, 20), Decimal("0.031"))
    assert after.payment_fen < before.payment_fen
    assert schedule.instalments[40].payment_fen == after.payment_fen
    _check_invariants(schedule, 100000000)


def test_zero_rate() -> None:
    """At 0 % the schedule is plain division, last instalment takes the remainder."""
    schedule = loan_schedule(
        principal_fen=100,
        annual_rate=Decimal(0),
        months=3,
        method="ANNUITY",
        first_due_date=date(2025, 1, 1),
    )
    assert [i.payment_fen for i in schedule.instalments] == [33, 33, 34]
    assert schedule.total_interest_fen == 0


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"principal_fen": 0}, "PRINCIPAL_INVALID"),
        ({"months": 0}, "TERM_INVALID"),
        ({"annual_rate": Decimal("-0.01")}, "RATE_INVALID"),
        ({"method": "BALLOON"}, "METHOD_INVALID"),
    ],
)
def test_refusals(kwargs: dict[str, Any], code: str) -> None:
    """Impossible terms are LoanError with a code."""
    args: dict[str, Any] = {
        "principal_fen": 100000,
        "annual_rate": Decimal("0.031"),
        "months": 12,
        "method": "ANNUITY",
        "first_due_date": date(2025, 1, 1),
    }
    with pytest.raises(LoanError) as info:
        loan_schedule(**{**args, **kwargs})
    assert info.value.code == code


@pytest.mark.parametrize("method", ["ANNUITY", "EQUAL_PRINCIPAL"])
def test_early_repayment(method: Any) -> None:
    """Prepaying 100 000 after instalment 12: 'term' keeps 360 months with a lower payment,
    'payment' keeps (at most) the payment and shortens the term; both still repay exactly."""
    schedule = loan_schedule(
        principal_fen=100000000,
        annual_rate=Decimal("0.031"),
        months=360,
        method=method,
        first_due_date=date(2025, 1, 15),
    )
    term = early_repayment(schedule, 12, 10000000, "term")
    assert len(term.instalments) == 360
    assert term.instalments[12].payment_fen < schedule.instalments[12].payment_fen
    _check_invariants(term, 100000000)
    shorter = early_repayment(schedule, 12, 10000000, "payment")
    assert len(shorter.instalments) < 360
    assert shorter.instalments[12].payment_fen <= schedule.instalments[12].payment_fen
    assert shorter.total_interest_fen < term.total_interest_fen
    _check_invariants(shorter, 100000000)
    paid_off = early_repayment(schedule, 12, schedule.instalments[11].outstanding_fen, "term")
    assert len(paid_off.instalments) == 12
    _check_invariants(paid_off, 100000000)


def _check_invariants(schedule: Schedule, principal: int) -> None:
    items = schedule.instalments
    assert sum(i.principal_fen for i in items) == principal
    assert items[-1].outstanding_fen == 0
    outstanding = principal
    for k, item in enumerate(items, start=1):
        assert item.no == k
        assert item.payment_fen == item.principal_fen + item.interest_fen
        num, den = item.annual_rate.as_integer_ratio()
        assert item.interest_fen == round_fen_quotient(outstanding * num, den * 12)
        assert item.payment_fen > 0
        outstanding -= item.principal_fen
        assert item.outstanding_fen == outstanding
    assert schedule.total_payment_fen == principal + schedule.total_interest_fen


rate_st = st.integers(0, 600).map(lambda n: Decimal(n).scaleb(-4))


@settings(max_examples=80, deadline=None)
@given(
    principal=st.integers(10_000_00, 1_500_000_00),
    months=st.integers(1, 360),
    method=st.sampled_from(["ANNUITY", "EQUAL_PRINCIPAL"]),
    rate=rate_st,
    first_due=st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    changes=st.lists(
        st.builds(RateChange, st.dates(date(2015, 1, 1), date(2045, 12, 31)), rate_st),
        max_size=4,
    ),
)
def test_schedule_invariants(
    principal: int,
    months: int,
    method: Any,
    rate: Decimal,
    first_due: date,
    changes: list[RateChange],
) -> None:
    """vectors.json loan_schedule_invariants hold for both methods and any rate changes."""
    schedule = loan_schedule(
        principal_fen=principal,
        annual_rate=rate,
        months=months,
        method=method,
        first_due_date=first_due,
        rate_changes=changes,
    )
    assert len(schedule.instalments) == months
    _check_invariants(schedule, principal)


@settings(max_examples=40, deadline=None)
@given(
    principal=st.integers(10_000_00, 1_500_000_00),
    months=st.integers(1, 360),
    upto=st.integers(0, 400),
    method=st.sampled_from(["ANNUITY", "EQUAL_PRINCIPAL"]),
    rate=rate_st,
    changes=st.lists(
        st.builds(RateChange, st.dates(date(2015, 1, 1), date(2045, 12, 31)), rate_st),
        max_size=3,
    ),
)
def test_instalments_prefix_equals_the_schedule(
    principal: int, months: int, upto: int, method: Any, rate: Decimal, changes: list[RateChange]
) -> None:
    """loan_instalments(upto=k) is exactly the first k instalments of the full schedule."""
    args: dict[str, Any] = dict(
        principal_fen=principal,
        annual_rate=rate,
        months=months,
        method=method,
        first_due_date=date(2020, 1, 31),
        rate_changes=changes,
    )
    full = loan_schedule(**args).instalments
    assert loan_instalments(**args, upto=upto) == full[:upto]


@pytest.mark.parametrize(("principal", "months"), [(1, 360), (359, 360), (11, 12)])
def test_a_principal_under_one_fen_a_month_is_refused(principal: int, months: int) -> None:
    """0.01 over 360 months used to give 359 instalments of 0.00: every instalment must repay
    at least 0.01 of principal."""
    for method in ("ANNUITY", "EQUAL_PRINCIPAL"):
        with pytest.raises(LoanError) as info:
            loan_schedule(
                principal_fen=principal,
                annual_rate=Decimal("0.031"),
                months=months,
                method=method,
                first_due_date=date(2027, 1, 20),
            )
        assert info.value.code == "PRINCIPAL_TOO_SMALL"


def test_one_fen_a_month_is_the_smallest_schedule() -> None:
    schedule = loan_schedule(
        principal_fen=360,
        annual_rate=Decimal("0.031"),
        months=360,
        method="EQUAL_PRINCIPAL",
        first_due_date=date(2027, 1, 20),
    )
    assert all(i.payment_fen >= 1 and i.principal_fen == 1 for i in schedule.instalments)
