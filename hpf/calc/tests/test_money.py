"""money: exact yuan/fen conversion, rounding and allocation."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpf.calc.errors import CalcError, MoneyError
from hpf.calc.money import (
    ROUNDING_MODES,
    allocate,
    fen_to_yuan,
    format_yuan,
    format_yuan_grouped,
    round_decimal_to_fen,
    round_fen_quotient,
    round_to_unit,
    yuan_to_fen,
)


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1234.56", 123456),
        ("0.05", 5),
        ("-0.05", -5),
        ("12", 1200),
        ("12.5", 1250),
        ("1.230", 123),
        ("-0.00", 0),
        (Decimal("32543.00"), 3254300),
        (Decimal("1E+3"), 100000),
        (7, 700),
        ("  3.10 ", 310),
    ],
)
def test_yuan_to_fen_accepts_exact_amounts(value: str | Decimal | int, fen: int) -> None:
    """Plain decimals with at most two significant decimals convert exactly."""
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", ["1,234.50", "1e3", "+5", ".5", "5.", "abc", "", "NaN", "1 000"])
def test_yuan_to_fen_refuses_bad_format(value: str) -> None:
    """Separators, exponents, signs other than '-', blanks inside and NaN are MONEY_FORMAT."""
    with pytest.raises(MoneyError) as info:
        yuan_to_fen(value)
    assert info.value.code == "MONEY_FORMAT"


@pytest.mark.parametrize("value", ["1.234", Decimal("0.001"), "-0.005"])
def test_yuan_to_fen_refuses_fractions_of_a_fen(value: str | Decimal) -> None:
    """An amount that is not a whole number of fen is MONEY_PRECISION, never rounded."""
    with pytest.raises(MoneyError) as info:
        yuan_to_fen(value)
    assert info.value.code == "MONEY_PRECISION"


@pytest.mark.parametrize("value", [Decimal("Infinity"), Decimal("NaN")])
def test_yuan_to_fen_refuses_non_finite_decimals(value: Decimal) -> None:
    """NaN and infinity are MONEY_FORMAT."""
    with pytest.raises(MoneyError, match="有限"):
        yuan_to_fen(value)


@pytest.mark.parametrize("value", [1.5, True, None])
def test_yuan_to_fen_refuses_floats_and_other_types(value: object) -> None:
    """Floats have already lost the exact value: TypeError, not a guess."""
    with pytest.raises(TypeError):
        yuan_to_fen(value)  # type: ignore[arg-type]


def test_error_carries_code_and_chinese_message() -> None:
    """str(err) is the Chinese message; the code is stable; it is a ValueError."""
    with pytest.raises(CalcError) as info:
        yuan_to_fen("1.234")
    err = info.value
    assert isinstance(err, ValueError)
    assert str(err) == err.message
    assert "两位小数" in str(err)


@pytest.mark.parametrize(
    ("fen", "plain", "grouped"),
    [
        (123456, "1234.56", "1,234.56"),
        (-5, "-0.05", "-0.05"),
        (0, "0.00", "0.00"),
        (100000000, "1000000.00", "1,000,000.00"),
        (-123456789, "-1234567.89", "-1,234,567.89"),
    ],
)
def test_formatting(fen: int, plain: str, grouped: str) -> None:
    """Wire format has no grouping; display format groups thousands; both keep two decimals."""
    assert format_yuan(fen) == plain
    assert format_yuan_grouped(fen) == grouped
    assert str(fen_to_yuan(fen)) == plain


@pytest.mark.parametrize(
    ("value", "rounding", "fen"),
    [
        ("555.410394", ROUND_HALF_UP, 55541),
        ("0.005", ROUND_HALF_UP, 1),
        ("-0.005", ROUND_HALF_UP, -1),
        ("0.005", ROUND_HALF_EVEN, 0),
        ("0.015", ROUND_HALF_EVEN, 2),
        ("0.019", ROUND_DOWN, 1),
    ],
)
def test_round_decimal_to_fen(value: str, rounding: str, fen: int) -> None:
    """Rounds once to the fen with the given mode; half-up is half away from zero."""
    assert round_decimal_to_fen(Decimal(value), rounding) == fen


@pytest.mark.parametrize(
    ("value", "unit", "fen"),
    [("123.45", "yuan", 12300), ("123.50", "yuan", 12400), ("123.455", "fen", 12346)],
)
def test_round_to_unit(value: str, unit: str, fen: int) -> None:
    """Unit 'yuan' rounds to the whole yuan but still returns fen."""
    assert round_to_unit(Decimal(value), unit, ROUND_HALF_UP) == fen  # type: ignore[arg-type]


def test_round_fen_quotient_division_by_zero() -> None:
    """A zero denominator is a MoneyError, not ZeroDivisionError."""
    with pytest.raises(MoneyError):
        round_fen_quotient(1, 0)


@given(
    st.integers(-(10**15), 10**15),
    st.integers(-(10**6), 10**6).filter(lambda d: d != 0),
    st.sampled_from(sorted(ROUNDING_MODES)),
)
def test_round_fen_quotient_matches_decimal(num: int, den: int, rounding: str) -> None:
    """The integer rounding agrees with Decimal's for every mode and sign."""
    expected = round_decimal_to_fen(Decimal(num) / Decimal(den) / 100, rounding)
    assert round_fen_quotient(num, den, rounding) == expected


@given(st.integers(-(10**12), 10**12))
def test_fen_yuan_round_trip(fen: int) -> None:
    """fen → wire string → fen is the identity."""
    assert yuan_to_fen(format_yuan(fen)) == fen
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


def test_allocate_examples() -> None:
    """Largest remainder: 100 fen over three equal weights gives 34/33/33."""
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(5, [0, 1]) == [0, 5]
    with pytest.raises(MoneyError):
        allocate(5, [0, 0])
    with pytest.raises(MoneyError):
        allocate(5, [1, -1])


@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=20).filter(lambda w: sum(w) > 0),
)
def test_allocate_sums_to_total_and_stays_near_share(total: int, weights: list[int]) -> None:
    """The parts always add up to the total and each is within one fen of its exact share."""
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * weight_sum - total * weight) < weight_sum
