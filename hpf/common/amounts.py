"""Amounts entered by people or programs, turned into fen once (see hpf.calc.money)."""

from __future__ import annotations

from decimal import Decimal

from hpf.calc.errors import CalcError
from hpf.calc.money import yuan_to_fen
from hpf.common.errors import InvalidAmount


def amount_to_fen(amount: Decimal | str | int) -> int:
    """A positive amount in yuan with at most two decimals, as fen; anything else refused."""
    if isinstance(amount, float):
        raise InvalidAmount("金额不能使用浮点数")
    try:
        fen = yuan_to_fen(amount)
    except CalcError as exc:
        raise InvalidAmount(str(exc)) from exc
    if fen <= 0:
        raise InvalidAmount("金额必须大于零")
    return fen
