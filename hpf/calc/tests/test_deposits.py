"""deposits: base clamping, ratio checks and the monthly split."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpf.calc.deposits import (
    DepositRules,
    check_ratio,
    clamp_base,
    monthly_deposit,
    share_rounder,
)
from hpf.calc.errors import DepositError
from hpf.calc.money import RoundingUnit, round_to_unit

RULES = DepositRules(
    base_floor_fen=227000,
    base_cap_fen=3254300,
    ratio_min=Decimal("0.05"),
    ratio_max=Decimal("0.12"),
    rounding_unit="fen",
    rounding="ROUND_HALF_UP",
)
YUAN_RULES = DepositRules(
    base_floor_fen=227000,
    base_cap_fen=3254300,
    ratio_min=Decimal("0.05"),
    ratio_max=Decimal("0.12"),
    rounding_unit="yuan",
    rounding="ROUND_HALF_UP",
)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (100000, (227000, "floor")),
        (500000, (500000, None)),
        (5000000, (3254300, "cap")),
        (227000, (227000, None)),
        (3254300, (3254300, None)),
    ],
)
def test_clamp_base(base: int, expected: tuple[int, str | None]) -> None:
    """The base is held between the floor (minimum wage) and the cap (3 × average wage)."""
    assert clamp_base(base, RULES) == expected


def test_clamp_base_refuses_zero() -> None:
    """A zero base means a missing wage: BASE_INVALID."""
    with pytest.raises(DepositError) as info:
        clamp_base(0, RULES)
    assert info.value.code == "BASE_INVALID"


@pytest.mark.parametrize(
    ("ratio", "code"),
    [
        ("0.04", "RATIO_OUT_OF_RANGE"),
        ("0.13", "RATIO_OUT_OF_RANGE"),
        ("0.07512", "RATIO_PRECISION"),
    ],
)
def test_check_ratio_refusals(ratio: str, code: str) -> None:
    """Ratios outside 5–12 % or with more than four decimals are refused."""
    with pytest.raises(DepositError) as info:
        check_ratio(Decimal(ratio), RULES, who="employer")
    assert info.value.code == code
    assert "单位" in str(info.value)


def test_check_ratio_accepts_four_decimals() -> None:
    """0.075 and 0.1200 are fine."""
    check_ratio(Decimal("0.075"), RULES, who="employee")
    check_ratio(Decimal("0.1200"), RULES, who="employee")


def test_monthly_deposit_rounds_each_share() -> None:
    """Each share is rounded on its own, then added (5 123.45 × 7.5 % = 384.25875 → 384.26)."""
    split = monthly_deposit(512345, Decimal("0.075"), Decimal("0.12"), RULES)
    assert (split.employer_fen, split.employee_fen) == (38426, 61481)
    assert split.total_fen == 38426 + 61481
    assert split.base_clamped is None


def test_monthly_deposit_whole_yuan_switch() -> None:
    """With rounding_unit 'yuan' each share is rounded to the yuan: 384.26 → 384, 614.81 → 615."""
    split = monthly_deposit(512345, Decimal("0.075"), Decimal("0.12"), YUAN_RULES)
    assert (split.employer_fen, split.employee_fen, split.total_fen) == (38400, 61500, 99900)


def test_monthly_deposit_at_cap() -> None:
    """Above the cap: 32 543 × 12 % = 3 905.16 each."""
    split = monthly_deposit(10_000_000, Decimal("0.12"), Decimal("0.12"), RULES)
    assert split.base_fen == 3254300
    assert split.base_clamped == "cap"
    assert split.total_fen == 2 * 390516


def test_employer_specific_bounds() -> None:
    """Employer bounds can differ from the employee's when the rules say so."""
    rules = DepositRules(
        227000,
        3254300,
        Decimal("0.05"),
        Decimal("0.12"),
        "fen",
        "ROUND_HALF_UP",
        employer_ratio_min=Decimal("0.03"),
    )
    check_ratio(Decimal("0.03"), rules, who="employer")
    with pytest.raises(DepositError):
        check_ratio(Decimal("0.03"), rules, who="employee")


@given(
    st.integers(1, 10**8),
    st.integers(500, 1200).map(lambda n: Decimal(n).scaleb(-4)),
    st.integers(500, 1200).map(lambda n: Decimal(n).scaleb(-4)),
)
def test_split_adds_up(base: int, employer: Decimal, employee: Decimal) -> None:
    """Total = employer + employee; each share is within half a fen of base × ratio."""
    split = monthly_deposit(base, employer, employee, RULES)
    assert split.total_fen == split.employer_fen + split.employee_fen
    assert RULES.base_floor_fen <= split.base_fen <= RULES.base_cap_fen
    assert abs(split.employer_fen - split.base_fen * employer) <= Decimal("0.5")
    assert abs(split.employee_fen - split.base_fen * employee) <= Decimal("0.5")


@given(
    st.integers(-(10**9), 10**9),
    st.integers(1, 10**4).map(lambda n: Decimal(n).scaleb(-4)),
    st.sampled_from(["fen", "yuan"]),
)
def test_share_rounder_is_decimal_half_up(base: int, ratio: Decimal, unit: RoundingUnit) -> None:
    """The integer rounder the import checks with is Decimal's ROUND_HALF_UP of base × ratio,
    halves away from zero for a negative base (a reversal) as for a positive one."""
    expected = round_to_unit((Decimal(base) * ratio).scaleb(-2), unit, "ROUND_HALF_UP")
    rounder = share_rounder(ratio, unit=unit, rounding="ROUND_HALF_UP")
    assert (rounder(base), rounder(-base)) == (expected, -expected)


def test_share_rounder_halves_away_from_zero() -> None:
    """0.5 fen rounds to 1 fen and -0.5 fen to -1 fen (base 5 fen × 10 %)."""
    rounder = share_rounder(Decimal("0.1"), unit="fen", rounding="ROUND_HALF_UP")
    assert (rounder(5), rounder(-5), rounder(4), rounder(-4)) == (1, -1, 0, 0)
