"""Money conversion and rounding: the one place where yuan become fen and back.

Amounts are integers of fen everywhere in the system (database, ledger, calculations); yuan
appear only at the edges, as ``Decimal`` or as strings such as ``"1234.56"`` on the wire.  This
module converts exactly (floats are refused outright), rounds exactly (integer rationals, never
binary floating point) and splits totals so that the parts always add up to the whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)
from typing import Literal

from hpf.calc.errors import MoneyError

__all__ = [
    "ROUNDING_MODES",
    "RoundingUnit",
    "allocate",
    "fen_to_yuan",
    "format_yuan",
    "format_yuan_grouped",
    "round_decimal_to_fen",
    "round_fen_quotient",
    "round_to_unit",
    "yuan_to_fen",
]

RoundingUnit = Literal["fen", "yuan"]

#: The names of the ``decimal`` rounding modes (the constants are these very strings).
ROUNDING_MODES: frozenset[str] = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)

# Plain decimal notation only: no thousands separators, exponent, "+" or bare ".5"; those
# come from spreadsheets and typos, and guessing what they meant is how ledgers go wrong.
_YUAN_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_HUNDRED = Decimal(100)
# Enough digits for any amount the fund will ever see plus the fractional digits of a rate.
_PREC = 60


def yuan_to_fen(value: str | Decimal | int) -> int:
    """Convert an amount in yuan to integer fen, exactly.

    Units: yuan in, fen out.  Rounding: none; an amount that is not a whole number of fen
    (``"1.234"``) raises ``MoneyError("MONEY_PRECISION")`` (trailing zeros such as ``"1.230"``
    are fine, the value is what counts).  ``float`` and ``bool`` raise ``TypeError`` because a
    float has already lost the exact value.  Strings must be plain decimals with an optional
    leading ``-``: thousands separators, exponents, blanks, NaN and infinity raise
    ``MoneyError("MONEY_FORMAT")``.
    """
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise TypeError(f"yuan_to_fen() takes str, Decimal or int, not {type(value).__name__}")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, str):
        text = value.strip()
        if not _YUAN_RE.fullmatch(text):
            raise MoneyError("MONEY_FORMAT", f"金额格式不正确：{value!r}，应为如 1234.56 的数字")
        amount = Decimal(text)
    else:
        amount = value
        if not amount.is_finite():
            raise MoneyError("MONEY_FORMAT", "金额必须是有限的数字")
    with localcontext() as ctx:
        ctx.prec = _PREC
        fen = amount * _HUNDRED
        if fen != fen.to_integral_value():
            raise MoneyError("MONEY_PRECISION", f"金额最多保留两位小数（到分）：{value}")
        return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """Convert integer fen to yuan as a ``Decimal`` with exactly two decimal places.

    Units: fen in, yuan out.  Rounding: none needed, the conversion is exact.
    """
    _require_int(fen)
    with localcontext() as ctx:
        ctx.prec = _PREC
        return Decimal(fen).scaleb(-2)


def format_yuan(fen: int) -> str:
    """Format fen as the wire representation of yuan: ``"1234.56"``, ``"-0.05"``, ``"0.00"``.

    Units: fen in, yuan string out, always two decimals, no grouping.  Exact.
    """
    _require_int(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def format_yuan_grouped(fen: int) -> str:
    """Format fen as yuan for display with thousands separators: ``"1,234.56"``.

    Units: fen in, yuan string out.  Exact.  For screens and PDFs only, never for the wire.
    """
    _require_int(fen)
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def round_decimal_to_fen(value_yuan: Decimal, rounding: str = ROUND_HALF_UP) -> int:
    """Round an exact ``Decimal`` amount of yuan to integer fen.

    Units: yuan in, fen out.  Rounding: ``rounding`` (a ``decimal`` mode name), applied once;
    the default ROUND_HALF_UP rounds halves away from zero, as the [BJ] interest code does.
    """
    _require_rounding(rounding)
    if not isinstance(value_yuan, Decimal) or not value_yuan.is_finite():
        raise MoneyError("MONEY_FORMAT", "金额必须是有限的十进制数")
    with localcontext() as ctx:
        ctx.prec = _PREC
        return int((value_yuan * _HUNDRED).to_integral_value(rounding=rounding))


def round_fen_quotient(numerator: int, denominator: int, rounding: str = ROUND_HALF_UP) -> int:
    """Round the exact rational ``numerator / denominator`` (in fen) to integer fen.

    Units: fen.  Rounding: ``rounding`` (a ``decimal`` mode name) with the same meaning as in
    ``decimal``, so negative values are rounded symmetrically (ROUND_HALF_UP: half away from
    zero).  Pure integer arithmetic: this is the exact step at the end of the interest formula
    and it must agree with the SQL fast path to the fen.
    """
    _require_int(numerator)
    _require_int(denominator)
    _require_rounding(rounding)
    if denominator == 0:
        raise MoneyError("MONEY_DIVISION", "除数不能为零")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    negative = numerator < 0
    q, r = divmod(abs(numerator), denominator)
    if r == 0:
        away = False
    elif rounding == ROUND_HALF_UP:
        away = 2 * r >= denominator
    elif rounding == ROUND_HALF_DOWN:
        away = 2 * r > denominator
    elif rounding == ROUND_HALF_EVEN:
        away = 2 * r > denominator or (2 * r == denominator and q % 2 == 1)
    elif rounding == ROUND_UP:
        away = True
    elif rounding == ROUND_DOWN:
        away = False
    elif rounding == ROUND_CEILING:
        away = not negative
    elif rounding == ROUND_FLOOR:
        away = negative
    else:  # ROUND_05UP: away from zero only if the truncated last digit is 0 or 5
        away = q % 5 == 0
    if away:
        q += 1
    return -q if negative else q


def round_to_unit(value_yuan: Decimal, unit: RoundingUnit, rounding: str) -> int:
    """Round yuan to the fen or to the whole yuan and return fen.

    Units: yuan in, fen out (``Decimal("123.45")`` to ``"yuan"`` with ROUND_HALF_UP gives
    12300).  Rounding: ``rounding`` at ``unit``.  Implements the deposit rounding switch
    (``deposit.rounding_unit`` in the policy table: the [BJ] system rounds to the fen, one
    Kunming payroll script to the whole yuan).
    """
    if unit == "fen":
        return round_decimal_to_fen(value_yuan, rounding)
    if unit == "yuan":
        _require_rounding(rounding)
        if not isinstance(value_yuan, Decimal) or not value_yuan.is_finite():
            raise MoneyError("MONEY_FORMAT", "金额必须是有限的十进制数")
        with localcontext() as ctx:
            ctx.prec = _PREC
            return int(value_yuan.to_integral_value(rounding=rounding)) * 100
    raise MoneyError("MONEY_UNIT", f"未知的舍入单位：{unit!r}（应为 fen 或 yuan）")


def allocate(total_fen: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_fen`` in proportion to ``weights`` so that the parts sum to the total.

    Units: fen.  Rounding: largest remainder (Hamilton): every part gets the floor of its exact
    share, then the fen left over go one each to the largest remainders, earlier index first on
    ties.  A negative total is split as the mirror image of the positive one.  Weights must be
    non-negative integers with a positive sum (``MoneyError("ALLOCATE_WEIGHTS")``).
    """
    _require_int(total_fen)
    if not weights or any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in weights):
        raise MoneyError("ALLOCATE_WEIGHTS", "分摊权重必须是非负整数")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise MoneyError("ALLOCATE_WEIGHTS", "分摊权重之和必须大于零")
    if total_fen < 0:
        return [-part for part in allocate(-total_fen, weights)]
    shares = [divmod(total_fen * w, weight_sum) for w in weights]
    parts = [q for q, _ in shares]
    left = total_fen - sum(parts)
    order = sorted(range(len(weights)), key=lambda k: (-shares[k][1], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


def _require_int(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int amount of fen, got {type(value).__name__}")


def _require_rounding(rounding: str) -> None:
    if rounding not in ROUNDING_MODES:
        raise MoneyError("MONEY_ROUNDING", f"未知的舍入方式：{rounding!r}")
