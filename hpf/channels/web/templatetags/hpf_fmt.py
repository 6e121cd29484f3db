"""Display helpers shared by every channel's pages (counter, portal): yuan with grouping,
periods, ratios."""

from __future__ import annotations

from decimal import Decimal

from django import template

from hpf.calc.money import format_yuan_grouped
from hpf.calc.periods import format_period

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return "" if fen is None else format_yuan_grouped(int(fen))


@register.filter
def period(value: int | None) -> str:
    return "" if value is None else format_period(int(value))


@register.filter
def pct(ratio: Decimal | None) -> str:
    if ratio is None:
        return ""
    return f"{(ratio * 100).normalize():f}%"
