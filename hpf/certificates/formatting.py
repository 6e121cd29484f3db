"""How certificate figures are written, on the PDF and on the public verification page alike:
money as grouped yuan, dates and months in Chinese, ratios as percentages, and the few key
facts the verification page repeats (one function per kind, named in hpf.certificates.kinds)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hpf.calc.money import format_yuan_grouped
from hpf.common.clock import BUSINESS_TZ


def yuan(fen: int) -> str:
    return f"{format_yuan_grouped(fen)} 元"


def cn_date(iso: str | dt.date) -> str:
    d = dt.date.fromisoformat(iso) if isinstance(iso, str) else iso
    return f"{d.year}年{d.month:02d}月{d.day:02d}日"


def cn_period(period: int | None) -> str:
    if not period:
        return "—"
    return f"{period // 100}年{period % 100:02d}月"


def percent(ratio: str) -> str:
    return f"{(Decimal(ratio) * 100).normalize():f}%"


def cn_time(at: dt.datetime) -> str:
    local = at.astimezone(BUSINESS_TZ)
    return f"{cn_date(local.date())} {local:%H:%M}"


def deposit_facts(snapshot: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The figures of a deposit certificate the public verification page repeats, so a reader
    can compare them with the paper in hand."""
    d = snapshot["deposit"]
    return (
        ("缴存单位", d["employer"]),
        ("账户状态", d["status_label"]),
        ("月缴存额", yuan(d["monthly_fen"])),
        ("缴至年月", cn_period(d["paid_through"])),
        ("账户余额", yuan(d["balance_fen"])),
    )


def statement_facts(snapshot: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The key figures of a statement for the verification page."""
    s = snapshot["statement"]
    return (
        ("明细期间", f"{cn_date(s['date_from'])} 至 {cn_date(s['date_to'])}"),
        ("期初余额", yuan(s["opening_fen"])),
        ("期末余额", yuan(s["closing_fen"])),
        ("明细笔数", f"{len(s['lines'])} 笔"),
    )


def loan_payoff_facts(snapshot: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The key figures of a loan payoff certificate for the verification page."""
    loan = snapshot["loan"]
    return (
        ("贷款合同号", loan["contract_no"]),
        ("贷款金额", yuan(loan["principal_fen"])),
        ("结清日期", cn_date(loan["paid_off_on"])),
        ("剩余本金", yuan(loan["remaining_principal_fen"])),
    )
