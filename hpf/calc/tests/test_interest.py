"""interest: annual settlement by the balance-days method."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpf.calc.errors import InterestError
from hpf.calc.interest import (
    Movement,
    RatePeriod,
    interest_fen_integer,
    rate_as_fraction,
    settle_interest_year,
)
from hpf.calc.money import yuan_to_fen
from hpf.calc.tests.conftest import load_vectors

SETTLEMENT = date(2025, 6, 30)
YEAR_START = date(2024, 7, 1)
VECTORS: list[dict[str, Any]] = load_vectors()["interest_settlement"]
OLD_SPLIT = RatePeriod(
    date(2015, 10, 24),
    date(2016, 2, 21),
    Decimal("0.0035"),
    current_rate=Decimal("0.0035"),
    carried_rate=Decimal("0.011"),
)
NEW_SINGLE = RatePeriod(date(2016, 2, 21), None, Decimal("0.015"))


def _single(rate: str) -> list[RatePeriod]:
    return [RatePeriod(date(2000, 1, 1), None, Decimal(rate))]


def test_carried_over_part_vector() -> None:
    """Published: 32 480.14 × 1.71 % = 555.41 for a full year with no movements."""
    v = VECTORS[0]
    result = settle_interest_year(
        settlement_date=SETTLEMENT,
        carried_balance_fen=yuan_to_fen(v["carried_balance"]),
        movements=[],
        rates=_single(v["annual_rate"]),
    )
    assert result.interest_fen == yuan_to_fen(v["interest"])
    assert result.closing_balance_fen == yuan_to_fen(v["carried_balance"]) + result.interest_fen


@pytest.mark.parametrize(
    ("day_count", "key", "extra_days"),
    [
        ("settlement_exclusive", "interest", 0),
        ("both_inclusive", "interest_if_both_end_days_count", 1),
    ],
)
def test_full_year_vector(day_count: Any, key: str, extra_days: int) -> None:
    """Published year: 1 848 000.00 yuan-days, 227.00 interest (227.38 counting both ends)."""
    v = VECTORS[1]
    movements = [(date.fromisoformat(d), yuan_to_fen(a)) for d, a in v["movements"]]
    # yuan-days and fen-days share a scale factor of 100 with yuan and fen.
    result = settle_interest_year(
        settlement_date=date.fromisoformat(v["settlement_date"]),
        carried_balance_fen=yuan_to_fen(v["carried_balance"]),
        movements=movements,
        rates=_single(v["annual_rate"]),
        day_count=day_count,
    )
    net = sum(a for _, a in movements)
    assert result.balance_days_fen == yuan_to_fen(v["balance_days"]) + net * extra_days
    assert result.interest_fen == yuan_to_fen(v[key])
    assert (
        result.closing_balance_fen == yuan_to_fen(v["carried_balance"]) + net + result.interest_fen
    )


def test_movement_outside_year_is_refused() -> None:
    """Value dates must lie in (settlement − 1 year, settlement]."""
    for bad in (date(2024, 6, 30), date(2025, 7, 1)):
        with pytest.raises(InterestError) as info:
            settle_interest_year(
                settlement_date=SETTLEMENT,
                carried_balance_fen=0,
                movements=[(bad, 100)],
                rates=_single("0.015"),
            )
        assert info.value.code == "MOVEMENT_OUTSIDE_YEAR"


def test_rates_must_cover_the_year() -> None:
    """A gap or an overlap in the rate periods is refused."""
    gap = [RatePeriod(date(2024, 8, 1), None, Decimal("0.015"))]
    overlap = [
        RatePeriod(date(2024, 1, 1), None, Decimal("0.015")),
        RatePeriod(date(2025, 1, 1), None, Decimal("0.01")),
    ]
    for rates, code in ((gap, "RATE_GAP"), (overlap, "RATE_OVERLAP")):
        with pytest.raises(InterestError) as info:
            settle_interest_year(
                settlement_date=SETTLEMENT, carried_balance_fen=100, movements=[], rates=rates
            )
        assert info.value.code == code


def test_negative_balance_is_refused() -> None:
    """Withdrawing more than the balance is a ledger error."""
    with pytest.raises(InterestError) as info:
        settle_interest_year(
            settlement_date=SETTLEMENT,
            carried_balance_fen=100,
            movements=[(date(2024, 9, 1), -101)],
            rates=_single("0.015"),
        )
    assert info.value.code == "BALANCE_NEGATIVE"


def test_split_rate_year_by_hand() -> None:
    """2015-07-01..2016-06-30 with the 2016-02-21 change (366-day year, 235 + 131 days).

    Carried 10 000.00: 10 000 × 1.10 % × 235/366 + 10 000 × 1.50 % × 131/366.
    Deposit 1 000.00 on 2016-01-01: 51 days at 0.35 %/360 and 130 days at 1.50 %/360.
    Withdrawal 1 500.00 on 2015-12-01 (after a 1 000.00 deposit on 2015-11-01): 1 000 from
    this year's deposits, 500 from the carried balance (assumed order).
    """
    old = RatePeriod(
        date(2015, 7, 1),
        date(2016, 2, 21),
        Decimal("0.0035"),
        current_rate=Decimal("0.0035"),
        carried_rate=Decimal("0.011"),
    )
    movements: list[Movement] = [
        (date(2015, 11, 1), 100000),
        (date(2015, 12, 1), -150000),
        (date(2016, 1, 1), 100000),
    ]
    result = settle_interest_year(
        settlement_date=date(2016, 6, 30),
        carried_balance_fen=1000000,
        movements=movements,
        rates=[old, NEW_SINGLE],
    )
    r_cur, r_car, r_new = Fraction("0.0035"), Fraction("0.011"), Fraction("0.015")
    d1 = (date(2016, 2, 21) - date(2015, 11, 1)).days
    d2 = (date(2016, 2, 21) - date(2015, 12, 1)).days
    d3 = (date(2016, 2, 21) - date(2016, 1, 1)).days
    tail = (date(2016, 6, 30) - date(2016, 2, 21)).days
    expected = (
        Fraction(1000000) * r_car * 235 / 366
        + Fraction(1000000) * r_new * 131 / 366
        + (100000 * d1 - 100000 * d2 + 100000 * d3) * r_cur / 360
        + (-50000 * d2) * r_car / 360
        + (100000 - 150000 + 100000) * tail * r_new / 360
    )
    assert result.interest_fen == round(expected)  # not a tie, so Python's rounding is fine
    labels = [p.label for p in result.parts]
    assert "支取结转余额积数" in labels
    assert sum(p.amount for p in result.parts) == pytest.approx(Decimal(float(expected)) / 100)


def test_segmented_single_rate_equals_plain_formula() -> None:
    """Cutting a single-rate year into segments changes nothing."""
    movements: list[Movement] = [(date(2024, 8, 15), 50000), (date(2025, 3, 1), -20000)]
    cut = [
        RatePeriod(date(2020, 1, 1), date(2024, 12, 25), Decimal("0.015")),
        RatePeriod(date(2024, 12, 25), None, Decimal("0.015")),
    ]
    a = settle_interest_year(
        settlement_date=SETTLEMENT, carried_balance_fen=3248014, movements=movements, rates=cut
    )
    b = settle_interest_year(
        settlement_date=SETTLEMENT,
        carried_balance_fen=3248014,
        movements=movements,
        rates=_single("0.015"),
    )
    assert a.interest_fen == b.interest_fen


def test_rate_as_fraction() -> None:
    """Rates become reduced integer fractions."""
    assert rate_as_fraction(Decimal("0.015")) == (3, 200)
    assert rate_as_fraction(Decimal("0.0171")) == (171, 10000)


movement_st = st.tuples(st.dates(YEAR_START, SETTLEMENT), st.integers(0, 5_000_000))


@settings(max_examples=60)
@given(
    st.integers(0, 10**9),
    st.lists(movement_st, max_size=15),
    st.integers(1, 1200).map(lambda n: Decimal(n).scaleb(-5)),
    st.sampled_from(["settlement_exclusive", "both_inclusive"]),
)
def test_integer_path_equals_decimal_path(
    carried: int, movements: list[Movement], rate: Decimal, day_count: Any
) -> None:
    """The SQL fast-path formula gives the same fen as the full settlement."""
    result = settle_interest_year(
        settlement_date=SETTLEMENT,
        carried_balance_fen=carried,
        movements=movements,
        rates=[RatePeriod(date(2000, 1, 1), None, rate)],
        day_count=day_count,
    )
    num, den = rate_as_fraction(rate)
    assert result.interest_fen == interest_fen_integer(carried, result.balance_days_fen, num, den)


@settings(max_examples=60)
@given(st.lists(movement_st, max_size=10), st.lists(movement_st, max_size=10), st.data())
def test_balance_days_are_additive(
    first: list[Movement], second: list[Movement], data: st.DataObject
) -> None:
    """Concatenating movement lists adds their fen-days; splitting a movement changes nothing."""

    def fen_days(movements: list[Movement]) -> int:
        return settle_interest_year(
            settlement_date=SETTLEMENT,
            carried_balance_fen=0,
            movements=movements,
            rates=_single("0.015"),
        ).balance_days_fen

    assert fen_days(first + second) == fen_days(first) + fen_days(second)
    if first:
        d, amount = first[0]
        part = data.draw(st.integers(0, amount))
        split = [(d, part), (d, amount - part), *first[1:]]
        assert fen_days(split) == fen_days(first)


def test_movement_days_convention() -> None:
    """A deposit on the settlement date earns nothing by default, one day when both count."""
    base: dict[str, Any] = {
        "settlement_date": SETTLEMENT,
        "carried_balance_fen": 0,
        "movements": [(SETTLEMENT, 3600000)],
        "rates": _single("0.015"),
    }
    assert settle_interest_year(**base).balance_days_fen == 0
    assert settle_interest_year(**base, day_count="both_inclusive").balance_days_fen == 3600000


# -- interest to a day before 30 June (销户结息, the overview's estimate): issue 11 item 5


def _accrued(on: date, day_count: Any = "settlement_exclusive", **kw: Any) -> int:
    from hpf.calc.interest import accrue_interest

    return accrue_interest(
        settlement_date=date(2026, 6, 30),
        on=on,
        carried_balance_fen=kw.pop("carried", 1_000_000),
        movements=kw.pop("movements", []),
        rates=_single("0.015"),
        day_count=day_count,
    ).interest_fen


@pytest.mark.parametrize("day_count", ["settlement_exclusive", "both_inclusive"])
def test_closing_never_pays_more_than_the_settlement(day_count: Any) -> None:
    """Carried 10 000.00 at 1.50 %: the settlement pays 150.00 for the year.  Closing on
    29 June used to pay 151.25 and on 30 June 151.67 (363 and 364 days ÷ 360).  By
    银发〔2005〕129号 (months × rate / 12 + odd days × rate / 360, from 30 June 2025): 28 June is
    11 months + 29 days = 137.50 + 12.08 = 149.58; 29 June 11 months + 30 days = 150.00;
    30 June 12 months = 150.00, the settlement's own figure, under either day-count switch."""
    full = settle_interest_year(
        settlement_date=date(2026, 6, 30),
        carried_balance_fen=1_000_000,
        movements=[],
        rates=_single("0.015"),
        day_count=day_count,
    ).interest_fen
    assert full == 15_000
    assert _accrued(date(2026, 6, 30), day_count) == full
    assert _accrued(date(2026, 6, 29), day_count) == 15_000
    assert _accrued(date(2026, 6, 28), day_count) == 14_958
    # Monotone over the whole year and never above the settlement.
    previous = 0
    day = date(2025, 6, 30)
    while day <= date(2026, 6, 30):
        now = _accrued(day, day_count)
        assert previous <= now <= full
        previous = now
        day = date.fromordinal(day.toordinal() + 1)


def test_carried_period_counts_whole_months_then_days() -> None:
    from hpf.calc.interest import carried_period

    s = date(2026, 6, 30)
    assert carried_period(s, date(2025, 6, 30)) == (0, 0)
    assert carried_period(s, date(2025, 7, 1)) == (0, 1)
    assert carried_period(s, date(2025, 7, 30)) == (1, 0)
    assert carried_period(s, date(2026, 2, 28)) == (8, 0)  # 30 Feb is the last day of February
    assert carried_period(s, date(2026, 3, 29)) == (8, 29)
    assert carried_period(s, date(2026, 6, 30)) == (12, 0)


@pytest.mark.parametrize(
    ("day_count", "extra"), [("settlement_exclusive", 0), ("both_inclusive", 1)]
)
def test_accrued_movements_follow_the_day_count_switch(day_count: Any, extra: int) -> None:
    """1 000.00 in on 2026-03-01, closed 2026-03-31 with nothing carried: (30 + extra) days."""
    got = _accrued(date(2026, 3, 31), day_count, carried=0, movements=[(date(2026, 3, 1), 100_000)])
    assert got == round(Fraction(100_000 * (30 + extra) * 15, 1000 * 360))


def test_accrual_date_outside_the_year_is_refused() -> None:
    with pytest.raises(InterestError) as info:
        _accrued(date(2026, 7, 1))
    assert info.value.code == "ACCRUAL_DATE_INVALID"
